"""12345 work orders in from spreadsheets (all rows or none) and back out again."""

import csv
import datetime

import pytest
import shapely
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from tests import pinned

from wangge.accounts.models import User
from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import State
from wangge.cases.models import Case
from wangge.core.imports import run_import
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db

HEADERS = [
    "工单编号",
    "来电时间",
    "来电人",
    "联系电话",
    "诉求内容",
    "诉求分类",
    "地址",
    "经度",
    "纬度",
    "坐标系",
    "网格编码",
    "楼栋",
    "补充信息",
]
# Calls of some weeks before the pinned today (``tests/pinned.py``), never after it.
WHEN = datetime.datetime.combine(pinned.today() - datetime.timedelta(days=60), datetime.time(9, 30))
SECOND = (WHEN + datetime.timedelta(days=1)).replace(hour=20, minute=15)
THIRD = (WHEN + datetime.timedelta(days=2)).replace(hour=8, minute=5)


def _point(code):
    grid = Node.objects.get(code=code)
    point = shapely.geometry.shape(grid.geometry).representative_point()
    return round(point.x, 6), round(point.y, 6)


def good_rows(prefix="T"):
    lng, lat = _point(LVDU_GRID1)
    building = Building.objects.filter(grid__path__startswith=_path(LVDU_GRID1)).first()
    return [
        [
            f"{prefix}0001",
            WHEN,
            "张先生",
            "13912340001",
            "小区电梯停运两天",
            "物业服务",
            "",
            "",
            "",
            "",
            LVDU_GRID1,
            "",
            "",
        ],
        [
            f"{prefix}0002",
            SECOND.strftime("%Y-%m-%d %H:%M"),
            "王女士",
            "0371-67891234",
            "楼上夜里拖家具，声音很大",
            "MD01",
            "",
            lng,
            lat,
            "WGS-84",
            "",
            "",
            "发生时段：深夜凌晨；声音来源：楼上",
        ],
        [
            f"{prefix}0003",
            THIRD.strftime("%Y/%m/%d %H:%M"),
            "",
            "",
            "楼道堆放杂物",
            "邻里纠纷",
            building.address,
            "",
            "",
            "",
            LVDU_GRID1,
            f"{building.compound}{building.name}",
            "",
        ],
    ]


def _path(code):
    return Node.objects.get(code=code).path


def xlsx(path, rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def csv_file(path, rows, headers=HEADERS):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(
                [
                    value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else value
                    for value in row
                ]
            )
    return path


def who(username):
    return User.objects.get(username=username)


def imported(prefix="T"):
    return Case.objects.filter(external_source="12345", external_id__startswith=prefix)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_good_file_becomes_hotline_cases(tmp_path, fmt):
    write = xlsx if fmt == "xlsx" else csv_file
    path = write(tmp_path / f"orders.{fmt}", good_rows())
    report = run_import(actor=who("community_lvdu"), kind="hotline", path=path)
    assert report.ok, report.errors
    assert report.created == 3
    cases = {case.external_id: case for case in imported()}
    assert set(cases) == {"T0001", "T0002", "T0003"}
    first = cases["T0001"]
    assert first.channel == "hotline" and first.category.code == "MS05"
    assert first.created_at == timezone.make_aware(WHEN)
    assert first.reporter_name == "张先生" and first.reporter_phone == "13912340001"
    assert first.grid.code == LVDU_GRID1
    # Entered by community staff: accepted at once and sent to the grid's worker.
    assert first.state == State.DISPATCHED and first.handler.username == "gridworker_lvdu1"
    noise = cases["T0002"]
    assert noise.attributes == {"period": "night", "source": "楼上"}
    assert noise.grid.path.startswith(_path(LVDU_GRID1)) and noise.lng is not None
    assert cases["T0003"].building is not None
    assert AuditEvent.objects.filter(action="core.import.completed").exists()


def test_grid_workers_cases_wait_for_acceptance(tmp_path):
    path = csv_file(tmp_path / "orders.csv", good_rows("W")[:1])
    report = run_import(actor=who("gridworker_lvdu1"), kind="hotline", path=path)
    assert report.ok, report.errors
    assert imported("W").get().state == State.REPORTED


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("诉求分类", "外星人入侵", "未知的诉求分类"),
        ("联系电话", "12345", "电话号码格式不正确"),
        ("经度", (120.1, 30.2), "不在任何网格内"),
        ("网格编码", None, "须填写经纬度、楼栋或网格编码"),
        ("来电时间", "明天上午", "时间格式不正确"),
        ("补充信息", "", "“发生时段”必填"),
    ],
)
def test_one_bad_row_imports_nothing_and_names_row_and_column(tmp_path, column, value, message):
    rows = good_rows("B")
    bad = rows[1]  # spreadsheet row 3
    if column == "经度":
        bad[7], bad[8] = value
    elif column == "网格编码":
        bad[7] = bad[8] = bad[10] = bad[11] = ""
    else:
        bad[HEADERS.index(column)] = value
    path = xlsx(tmp_path / "orders.xlsx", rows)
    before = Case.objects.count()
    report = run_import(actor=who("community_lvdu"), kind="hotline", path=path)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, column)]
    assert message in report.errors[0].message
    assert "第3行" in str(report.errors[0]) and f"“{column}”列" in str(report.errors[0])
    assert Case.objects.count() == before


def test_the_same_file_twice_is_refused(tmp_path):
    path = xlsx(tmp_path / "orders.xlsx", good_rows("R"))
    actor = who("community_lvdu")
    assert run_import(actor=actor, kind="hotline", path=path).created == 3
    before = Case.objects.count()
    again = run_import(actor=actor, kind="hotline", path=path)
    assert not again.ok and again.created == 0
    assert {(e.row, e.column) for e in again.errors} == {
        (2, "工单编号"),
        (3, "工单编号"),
        (4, "工单编号"),
    }
    assert all("已导入" in e.message for e in again.errors)
    assert Case.objects.count() == before


def test_a_work_order_twice_in_one_file_is_refused(tmp_path):
    rows = good_rows("D")
    rows[2][0] = rows[0][0]
    report = run_import(
        actor=who("community_lvdu"), kind="hotline", path=xlsx(tmp_path / "o.xlsx", rows)
    )
    assert [(e.row, e.column) for e in report.errors] == [(4, "工单编号")]
    assert "与第2行重复" in report.errors[0].message
    assert not imported("D").exists()


def test_a_grid_worker_cannot_bring_in_orders_for_another_grid(tmp_path):
    rows = good_rows("S")
    rows[0][10] = GUANLAN_GRID1  # another street's grid
    lng, lat = _point(GUANLAN_GRID1)
    rows[1][7], rows[1][8] = lng, lat
    path = xlsx(tmp_path / "orders.xlsx", rows)
    report = run_import(actor=who("gridworker_lvdu1"), kind="hotline", path=path)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(2, "网格编码"), (3, "网格编码")]
    assert all("不在您的管辖范围内" in e.message for e in report.errors)
    assert not imported("S").exists()
    # The district may.
    assert run_import(actor=who("district"), kind="hotline", path=path).created == 3


def test_a_time_limit_sets_the_promised_time(tmp_path):
    rows = [good_rows("L")[0]]
    headers = [*HEADERS, "办理时限（工作日）"]
    rows[0].append(3)
    report = run_import(
        actor=who("community_lvdu"), kind="hotline", path=xlsx(tmp_path / "l.xlsx", rows, headers)
    )
    assert report.ok, report.errors
    case = imported("L").get()
    assert case.due_at == WorkCalendar().add(timezone.make_aware(WHEN), 3, "working_days")


def test_export_round_trip(tmp_path, as_user):
    actor = who("community_lvdu")
    assert run_import(
        actor=actor, kind="hotline", path=xlsx(tmp_path / "in.xlsx", good_rows("X"))
    ).ok
    response = as_user("community_lvdu").get("/export/hotline.xlsx")
    assert response.status_code == 200
    exported = tmp_path / "out.xlsx"
    exported.write_bytes(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    sheet = load_workbook(exported).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header == [*HEADERS[:6], "办理时限（工作日）", *HEADERS[6:], "状态", "办结时间"]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    mine = by_id["X0001"]
    assert mine["来电时间"] == WHEN
    assert mine["诉求内容"] == "小区电梯停运两天" and mine["诉求分类"] == "物业服务"
    assert mine["联系电话"] == "139****0001"
    assert mine["网格编码"] == LVDU_GRID1 and mine["状态"] == "已派遣"
    assert by_id["X0002"]["补充信息"] == "发生时段：深夜凌晨；声音来源：楼上"
    # Everything in the staff member's scope, and only hotline cases.
    in_scope = Case.objects.restrict(actor).filter(channel="hotline").count()
    assert len(by_id) == in_scope
    # Read back: every order is known already; nothing else is wrong with the file.
    again = run_import(actor=actor, kind="hotline", path=exported)
    assert again.error_count == in_scope and again.created == 0
    assert {e.column for e in again.errors} == {"工单编号"}


def test_answers_with_several_values_go_in_and_out(tmp_path, as_user):
    row = good_rows("A")[0]
    row[5] = "飞线充电"
    row[12] = "是否有即时危险：否；隐患类型：用电、消防"
    path = xlsx(tmp_path / "a.xlsx", [row])
    assert run_import(actor=who("community_lvdu"), kind="hotline", path=path).ok
    case = imported("A").get()
    assert case.attributes == {"danger_now": False, "kinds": ["electric", "fire"]}
    response = as_user("community_lvdu").get("/export/hotline.csv")
    lines = list(csv.reader(b"".join(response.streaming_content).decode("utf-8-sig").splitlines()))
    exported = next(dict(zip(lines[0], line, strict=True)) for line in lines if line[0] == "A0001")
    assert exported["补充信息"] == "是否有即时危险：否；隐患类型：用电、消防"
    assert exported["诉求分类"] == "飞线充电" and exported["状态"] == "已派遣"
