"""Every bad row in one pass, whatever the check: for each importer a file with good rows and
ten or more bad ones of different kinds — a cell that cannot be read, text over its column's
limit, a reference to a place, building, tag or category that is not there, a clash with
another row of the file or with what is stored, a place outside the importer's reach — reports
every bad row at once (not only the unreadable cells first), names row, column and reason in
Chinese, and writes nothing."""

import datetime

import pytest
import shapely
from openpyxl import Workbook

from wangge.accounts.models import User
from wangge.cases.models import Case
from wangge.core.imports import run_import
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1, LVDU_GRID2
from wangge.people import idnumber
from wangge.people.models import Household, Person
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db


def xlsx(path, headers, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header, "") for header in headers])
    book.save(path)
    return path


def new_id(n):
    # Region 110101 is not used by the demo, so these never clash with it.
    return idnumber.make("110101", datetime.date(1950, 3, 1) + datetime.timedelta(days=n), n, True)


def counts():
    return (
        Person.objects.count(),
        Household.objects.count(),
        Building.objects.count(),
        Case.objects.count(),
        AuditEvent.objects.count(),
    )


def check(tmp_path, kind, headers, rows, actor):
    """Import ``rows`` (dicts; a key ``bad`` marks a row that must be reported, with the
    columns it must be reported on) and compare the report with the marks."""
    path = xlsx(tmp_path / f"{kind}.xlsx", headers, rows)
    before = counts()
    report = run_import(actor=User.objects.get(username=actor), kind=kind, path=path)
    assert counts() == before, "nothing is written"
    assert not report.ok
    reported: dict[int, set[str]] = {}
    for error in report.errors:
        reported.setdefault(error.row, set()).add(error.column)
        assert error.message and not error.message.isascii(), error  # in Chinese
    expected = {n: set(row["bad"]) for n, row in enumerate(rows, start=2) if row.get("bad")}
    assert len(expected) >= 10
    assert reported == expected, {"reported": reported, "expected": expected}
    return report


def test_persons_every_bad_row_at_once(tmp_path):
    headers = ["ID", "姓名", "身份证号", "出生日期", "手机号", "网格编码", "关爱标签", "备注"]
    good = {"姓名": "好居民", "网格编码": LVDU_GRID1}
    bad_id = new_id(2)[:-1] + ("0" if new_id(2)[-1] != "0" else "1")
    rows = [
        {**good, "身份证号": new_id(1)},
        {**good, "身份证号": bad_id, "bad": ["身份证号"]},
        {**good, "身份证号": 110101195003010012, "bad": ["身份证号"]},  # a number: mangled
        {**good, "手机号": "not-a-phone", "bad": ["手机号"]},
        {**good, "姓名": "", "bad": ["姓名"]},
        {**good, "姓名": "名" * 65, "bad": ["姓名"]},
        {**good, "备注": "注" * 2001, "bad": ["备注"]},
        {**good, "网格编码": "999999999999999", "bad": ["网格编码"]},
        {**good, "网格编码": GUANLAN_GRID1, "bad": ["网格编码"]},  # outside the worker's grid
        {**good, "身份证号": new_id(1), "bad": ["身份证号"]},  # the same as row 2
        {**good, "关爱标签": "外星人", "bad": ["关爱标签"]},
        {**good, "出生日期": "去年春天", "bad": ["出生日期"]},
        {**good, "ID": 999999999, "bad": ["ID"]},
        # Two problems in one row: both named.
        {**good, "姓名": "", "关爱标签": "外星人", "bad": ["姓名", "关爱标签"]},
        {**good, "身份证号": new_id(3)},
    ]
    report = check(tmp_path, "persons", headers, rows, "gridworker_lvdu1")
    words = " ".join(str(error) for error in report.errors)
    assert "最多 2000 个字" in words and "最多 64 个字" in words


def test_households_every_bad_row_at_once(tmp_path):
    building = (
        Building.objects.filter(grid__path__startswith=Node.objects.get(code=LVDU_GRID1).path)
        .exclude(dwellings=None)
        .order_by("pk")
        .first()
    )
    dwelling = building.dwellings.select_related("unit").order_by("pk").first()
    taken = Household.objects.order_by("pk").values_list("number", flat=True).first()
    headers = ["ID", "户编号", "网格编码", "小区", "楼栋", "单元", "房号", "居住类型", "备注"]
    good = {"网格编码": LVDU_GRID1}
    place = {
        "小区": building.compound,
        "楼栋": building.name,
        "单元": dwelling.unit.number if dwelling.unit_id else "",
    }
    rows = [
        {**good, "户编号": "T-0001"},
        {**good, "ID": 999999999, "bad": ["ID"]},
        {**good, "户编号": taken, "bad": ["户编号"]},
        {**good, "户编号": "T-0001", "bad": ["户编号"]},  # the same as row 2
        {**good, "网格编码": "999999999999999", "bad": ["网格编码"]},
        {"备注": "没有网格", "bad": ["网格编码"]},
        {**good, "楼栋": "不存在的楼", "bad": ["楼栋"]},
        {**good, **place, "房号": "9999", "bad": ["房号"]},
        {**good, "单元": "第一", "bad": ["单元"]},
        {**good, "居住类型": "度假", "bad": ["居住类型"]},
        {**good, "备注": "注" * 2001, "bad": ["备注"]},
        {"网格编码": GUANLAN_GRID1, "bad": ["网格编码"]},  # outside the worker's grid
        {**good, "户编号": "号" * 33, "bad": ["户编号"]},
        {**good, "户编号": "T-0002"},
    ]
    check(tmp_path, "households", headers, rows, "gridworker_lvdu1")


def test_buildings_every_bad_row_at_once(tmp_path):
    grid = Node.objects.get(code=LVDU_GRID1)
    inside = shapely.geometry.shape(grid.geometry).representative_point()
    next_door = shapely.geometry.shape(
        Node.objects.get(code=LVDU_GRID2).geometry
    ).representative_point()
    stored = Building.objects.filter(grid=grid).order_by("pk").first() or (
        Building.objects.filter(grid__parent=grid).order_by("pk").first()
    )
    headers = ["ID", "网格编码", "小区", "楼栋名称", "经度", "纬度", "坐标系", "层数", "标签"]
    good = {"网格编码": LVDU_GRID1, "小区": "新苑"}
    rows = [
        {**good, "楼栋名称": "1号楼"},
        {**good, "ID": 999999999, "楼栋名称": "2号楼", "bad": ["ID"]},
        {**good, "网格编码": "999999999999999", "楼栋名称": "3号楼", "bad": ["网格编码"]},
        {**good, "楼栋名称": "4号楼", "经度": inside.x, "bad": ["纬度"]},
        {**good, "楼栋名称": "5号楼", "经度": 0.5, "纬度": 0.5, "bad": ["经度"]},
        {**good, "楼栋名称": "6号楼", "经度": next_door.x, "纬度": next_door.y, "bad": ["经度"]},
        {"小区": "新苑", "楼栋名称": "7号楼", "bad": ["网格编码"]},
        {"网格编码": GUANLAN_GRID1, "楼栋名称": "8号楼", "bad": ["网格编码"]},  # another street
        {**good, "楼栋名称": "1号楼", "bad": ["楼栋名称"]},  # the same as row 2
        {
            "网格编码": stored.grid.code,
            "小区": stored.compound,
            "楼栋名称": stored.name,
            "bad": ["楼栋名称"],
        },
        {**good, "楼栋名称": "11号楼", "标签": "会飞的楼", "bad": ["标签"]},
        {**good, "楼栋名称": "12号楼", "层数": 500, "bad": ["层数"]},
        {**good, "楼栋名称": "楼" * 65, "bad": ["楼栋名称"]},
        {**good, "楼栋名称": "14号楼", "经度": inside.x, "纬度": inside.y, "坐标系": "火星",
         "bad": ["坐标系"]},
        {**good, "楼栋名称": "15号楼"},
    ]  # fmt: skip
    check(tmp_path, "buildings", headers, rows, "community_lvdu")


def test_hotline_work_orders_every_bad_row_at_once(tmp_path):
    earlier = (
        Case.objects.filter(external_source="12345")
        .exclude(external_id="")
        .values_list("external_id", flat=True)
        .first()
    )
    assert earlier, "the demo has hotline work orders"
    headers = [
        "工单编号", "来电时间", "联系电话", "诉求内容", "诉求分类", "办理时限（工作日）", "地址",
        "网格编码", "补充信息",
    ]  # fmt: skip
    good = {"诉求内容": "楼道灯不亮", "诉求分类": "MD05", "网格编码": LVDU_GRID1}
    rows = [
        {**good, "工单编号": "GD-001"},
        {**good, "工单编号": "GD-001", "bad": ["工单编号"]},  # the same as row 2
        {**good, "工单编号": earlier, "bad": ["工单编号"]},
        {**good, "工单编号": "GD-003", "联系电话": "139****0000", "bad": ["联系电话"]},
        {**good, "工单编号": "GD-004", "联系电话": "12", "bad": ["联系电话"]},
        {**good, "工单编号": "GD-005", "诉求内容": "吵" * 4001, "bad": ["诉求内容"]},
        {**good, "工单编号": "GD-006", "诉求分类": "不存在的分类", "bad": ["诉求分类"]},
        {**good, "工单编号": "GD-007", "来电时间": "2099-01-01 09:00", "bad": ["来电时间"]},
        {**good, "工单编号": "GD-008", "办理时限（工作日）": 99, "bad": ["办理时限（工作日）"]},
        {**good, "工单编号": "GD-009", "网格编码": "999999999999999", "bad": ["网格编码"]},
        {"工单编号": "GD-010", "诉求内容": "无处可去", "诉求分类": "MD05", "bad": ["网格编码"]},
        {**good, "工单编号": "GD-011", "补充信息": "不存在的问题：有", "bad": ["补充信息"]},
        {**good, "工单编号": "GD-012", "地址": "路" * 201, "bad": ["地址"]},
        {**good, "工单编号": "GD-013", "网格编码": GUANLAN_GRID1, "bad": ["网格编码"]},
        # Two problems in one row, of different kinds: both named.
        {**good, "工单编号": "GD-014", "诉求分类": "不存在的分类", "网格编码": GUANLAN_GRID1,
         "bad": ["诉求分类", "网格编码"]},
        {**good, "工单编号": "GD-015"},
    ]  # fmt: skip
    check(tmp_path, "hotline", headers, rows, "community_lvdu")


def test_a_good_file_after_the_bad_one_imports(tmp_path):
    """Fixed, the same file goes in whole (the one-pass check finds nothing left)."""
    headers = ["姓名", "身份证号", "网格编码", "备注"]
    rows = [
        {
            "姓名": f"居民{n}",
            "身份证号": new_id(40 + n),
            "网格编码": LVDU_GRID1,
            "备注": "注" * 2000,
        }
        for n in range(3)
    ]
    path = xlsx(tmp_path / "ok.xlsx", headers, rows)
    report = run_import(
        actor=User.objects.get(username="gridworker_lvdu1"), kind="persons", path=path
    )
    assert report.ok, report.errors
    assert report.created == 3
