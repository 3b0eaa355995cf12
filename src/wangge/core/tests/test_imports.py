"""Imports of persons, households and buildings: all rows or none, with a report in Chinese."""

import datetime
import io

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from wangge.core import jobs
from wangge.core.imports import run_import
from wangge.core.models import AuditEvent, Job
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.people import idnumber
from wangge.people.models import Household, Person
from wangge.territory import geo
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "身份证号", "手机号", "网格编码", "关爱标签", "残疾类别", "残疾等级"]


def new_id(n, male=True, born=datetime.date(1950, 3, 1)):
    # Region 110101 is not used by the demo, so these never clash with it.
    return idnumber.make("110101", born + datetime.timedelta(days=n), n, male)


def xlsx(path, headers, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def good_rows(count=3, grid=LVDU_GRID1):
    return [
        [f"测试居民{n}", new_id(n), f"139{n:08d}", grid, "独居老人" if n == 0 else "", "", ""]
        for n in range(count)
    ]


def test_one_bad_id_number_imports_nothing_and_names_row_and_column(tmp_path, capsys):
    rows = good_rows(3)
    bad = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")
    rows[1][1] = bad
    path = xlsx(tmp_path / "persons.xlsx", HEADERS, rows)
    persons, events = Person.objects.count(), AuditEvent.objects.count()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "persons", str(path), "--as", "gridworker_lvdu1")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "第3行" in err and "“身份证号”列" in err and "校验位错误" in err
    assert Person.objects.count() == persons
    assert AuditEvent.objects.count() == events


def test_the_web_page_and_the_api_report_the_same_way(tmp_path, as_user, api_as):
    rows = good_rows(2)
    rows[0][1] = "41010219900101123"  # 17 characters
    path = xlsx(tmp_path / "persons.xlsx", HEADERS, rows)
    before = Person.objects.count()
    client = as_user("community_lvdu")
    with path.open("rb") as handle:
        response = client.post("/import/", {"kind": "persons", "file": handle}, follow=True)
    page = response.content.decode()
    assert "身份证号应为18位" in page and "身份证号" in page
    with path.open("rb") as handle:
        response = api_as("community_lvdu").post("/api/v1/imports/persons", {"file": handle})
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["ok"] is False and result["error_count"] == 1
    assert result["errors"] == [
        {"row": 2, "column": "身份证号", "message": "身份证号应为18位，实为17位"}
    ]
    assert Person.objects.count() == before


def test_good_file_imports_through_services_with_audit(tmp_path):
    from wangge.accounts.models import User

    actor = User.objects.get(username="gridworker_lvdu1")
    path = xlsx(tmp_path / "persons.xlsx", HEADERS, good_rows(3))
    report = run_import(actor=actor, kind="persons", path=path)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (3, 0)
    imported = Person.objects.filter(name__startswith="测试居民").order_by("name")
    assert [p.grid.code for p in imported] == [LVDU_GRID1] * 3
    first = imported[0]
    assert first.sex == "male" and first.birth_date == datetime.date(1950, 3, 1)
    assert [link.tag.code for link in first.tag_links.all()] == ["living_alone"]
    events = AuditEvent.objects.filter(action="people.person.created", actor=actor)
    assert events.count() == 3
    assert events.filter(target_id=str(first.pk)).get().after["id_number"].count("*") == 8
    assert AuditEvent.objects.filter(action="core.import.completed", actor=actor).exists()


def test_rows_with_an_id_update_and_a_masked_export_round_trips(tmp_path, as_user):
    from wangge.accounts.models import User

    actor = User.objects.get(username="gridworker_lvdu1")
    response = as_user("gridworker_lvdu1").get("/export/persons.xlsx")
    exported = tmp_path / "export.xlsx"
    exported.write_bytes(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    report = run_import(actor=actor, kind="persons", path=exported)
    assert report.ok, report.errors[:3]
    assert report.created == 0 and report.updated == 0
    assert report.unchanged == Person.objects.filter(grid__code__startswith=LVDU_GRID1).count()
    # Edit one name and re-import: one update, audited with before and after.
    book = load_workbook(exported)
    sheet = book.active
    person_id = sheet.cell(row=2, column=1).value
    sheet.cell(row=2, column=2).value = "改过的名字"
    book.save(exported)
    report = run_import(actor=actor, kind="persons", path=exported)
    assert (report.updated, report.created) == (1, 0)
    assert Person.objects.get(pk=person_id).name == "改过的名字"
    event = AuditEvent.objects.get(action="people.person.updated", target_id=str(person_id))
    assert event.after == {"name": "改过的名字"}


def test_csv_in_gbk_and_out_of_scope_rows(tmp_path):
    from wangge.accounts.models import User

    actor = User.objects.get(username="gridworker_lvdu1")
    rows = good_rows(2)
    rows[1][3] = GUANLAN_GRID1
    text = ",".join(HEADERS) + "\n" + "\n".join(",".join(row) for row in rows) + "\n"
    path = tmp_path / "persons.csv"
    path.write_bytes(text.encode("gb18030"))
    report = run_import(actor=actor, kind="persons", path=path)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, "网格编码")]
    assert "不在您的管辖范围内" in report.errors[0].message
    rows[1][3] = LVDU_GRID1
    path.write_bytes(
        (",".join(HEADERS) + "\n" + "\n".join(",".join(r) for r in rows)).encode("gb18030")
    )
    assert run_import(actor=actor, kind="persons", path=path).created == 2


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"身份证号": 410102199001011234}, "身份证号", "文本格式"),
        ({"手机号": "12345"}, "手机号", "电话号码格式不正确"),
        ({"关爱标签": "残疾人"}, "关爱标签", "需填写残疾类别和等级"),
        ({"关爱标签": "外星人"}, "关爱标签", "未知的关爱标签"),
        ({"网格编码": "999999999999999"}, "网格编码", "不存在"),
        ({"姓名": ""}, "姓名", "不能为空"),
    ],
)
def test_each_bad_cell_is_named(tmp_path, cells, column, message):
    row = dict(zip(HEADERS, good_rows(1)[0], strict=True))
    row.update(cells)
    path = xlsx(tmp_path / "p.xlsx", HEADERS, [[row[h] for h in HEADERS]])
    report = run_import(actor=None, kind="persons", path=path)
    assert not report.ok
    assert (report.errors[0].row, report.errors[0].column) == (2, column)
    assert message in report.errors[0].message


def test_duplicates_in_the_file_and_missing_columns(tmp_path):
    rows = good_rows(2)
    rows[1][1] = rows[0][1]
    report = run_import(actor=None, kind="persons", path=xlsx(tmp_path / "a.xlsx", HEADERS, rows))
    assert [str(e) for e in report.errors] == ["第3行，“身份证号”列：身份证号与第2行重复"]
    report = run_import(
        actor=None, kind="persons", path=xlsx(tmp_path / "b.xlsx", ["身份证号"], [["x"]])
    )
    assert [str(e) for e in report.errors] == ["第1行，“姓名”列：缺少此列"]
    report = run_import(actor=None, kind="persons", path=tmp_path / "b.txt")
    assert "只支持" in report.errors[0].message


def test_buildings_in_gcj02_and_households_into_their_dwellings(tmp_path):
    grid = Node.objects.get(code=LVDU_GRID1 + "001")  # the west micro-grid of grid 1
    import shapely

    point = shapely.geometry.shape(grid.geometry).representative_point()
    g_lng, g_lat = geo.wgs84_to_gcj02(point.x, point.y)
    buildings = xlsx(
        tmp_path / "b.xlsx",
        [
            "网格编码",
            "小区",
            "楼栋名称",
            "经度",
            "纬度",
            "坐标系",
            "层数",
            "单元数",
            "每层户数",
            "标签",
        ],
        [[LVDU_GRID1, "新苑", "9号楼", g_lng, g_lat, "GCJ-02", 6, 2, 2, "老旧房屋；无物业"]],
    )
    report = run_import(actor=None, kind="buildings", path=buildings)
    assert report.ok, report.errors
    building = Building.objects.get(compound="新苑", name="9号楼")
    assert building.grid == grid  # the most specific grid holding the point
    assert building.dwellings.count() == 24
    assert sorted(building.tags.values_list("name", flat=True)) == ["无物业", "老旧房屋"]
    households = xlsx(
        tmp_path / "h.xlsx",
        ["网格编码", "小区", "楼栋", "单元", "房号", "居住类型"],
        [
            [LVDU_GRID1, "新苑", "9号楼", 1, "101", "流动人口"],
            [LVDU_GRID1, "新苑", "9号楼", 3, "101", ""],
        ],
    )
    report = run_import(actor=None, kind="households", path=households)
    assert [(e.row, e.column) for e in report.errors] == [(3, "房号")]
    households = xlsx(
        tmp_path / "h.xlsx",
        ["网格编码", "小区", "楼栋", "单元", "房号", "居住类型"],
        [[LVDU_GRID1, "新苑", "9号楼", 1, "101", "流动人口"]],
    )
    report = run_import(actor=None, kind="households", path=households)
    assert report.ok, report.errors
    household = Household.objects.get(dwelling__building=building)
    assert household.grid == grid and household.residence_type == "floating"


def test_large_files_wait_for_a_worker_and_show_progress(tmp_path, settings, api_as):
    settings.WANGGE_IMPORT_INLINE_BYTES = 10
    path = xlsx(tmp_path / "persons.xlsx", HEADERS, good_rows(5))
    client = api_as("community_lvdu")
    with path.open("rb") as handle:
        response = client.post("/api/v1/imports/persons", {"file": handle})
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json()["state"] == "queued"
    assert jobs.work(once=True) == 1
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert job["state"] == "done" and job["result"]["created"] == 5
    assert job["percent"] == 100
    # Someone else's job is not there.
    assert api_as("community_wanda").get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert not Job.objects.filter(state="queued").exists()


def test_import_api_bad_input(api_as, tmp_path):
    client = api_as("community_lvdu")
    response = client.post("/api/v1/imports/persons", {"file": io.BytesIO(b"x")})
    assert response.status_code == 400
    response = client.post("/api/v1/imports/aliens", {"file": io.BytesIO(b"x")})
    assert response.status_code == 404
    # A party member may not import anything.
    path = xlsx(tmp_path / "p.xlsx", HEADERS, good_rows(1))
    with path.open("rb") as handle:
        response = api_as("partymember_lvdu").post("/api/v1/imports/persons", {"file": handle})
    assert response.status_code == 404


def test_every_importer_checks_its_rows_through_the_one_loop():
    """The row handling every import shares (look up in batches, check each row, every
    problem an error by column, plan the rest) is ``Importer.check``'s; kinds only say what
    they look up and how a row is checked and planned."""
    from wangge.core.imports import REGISTRY, Importer

    importable = [importer for importer in REGISTRY.values() if importer.importable]
    assert {importer.kind for importer in importable} >= {"persons", "households", "buildings"}
    for importer in importable:
        assert type(importer).check is Importer.check, importer.kind
        assert type(importer).check_row is not Importer.check_row, importer.kind


def test_the_import_is_recorded_on_the_place_holding_every_row(tmp_path):
    from wangge.accounts.models import User
    from wangge.territory.models import Node

    actor = User.objects.get(username="community_lvdu")
    rows = good_rows(2)
    rows[1][HEADERS.index("网格编码")] = LVDU_GRID1[:-1] + "2"
    report = run_import(actor=actor, kind="persons", path=xlsx(tmp_path / "p.xlsx", HEADERS, rows))
    assert report.ok, report.errors
    event = AuditEvent.objects.filter(action="core.import.completed", actor=actor).latest("id")
    assert event.node == Node.objects.get(code=LVDU_GRID1[:-3])
