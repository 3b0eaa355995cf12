"""The phone does the whole field job, and forgives: a report solved on the spot, a case
solved or handed to an agency from its task, what I reported opened on the phone, the
reporter's number for a callback; and a refused form that keeps everything typed."""

import io

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.accounts.models import User
from wangge.cases import services
from wangge.cases.models import Agency, Case, Category, Task
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


def jpeg(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "#884422").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def not_a_photo(name="result.jpg"):
    return SimpleUploadedFile(name, b"<!doctype html><p>hello</p>", content_type="image/jpeg")


def category(code):
    return Category.objects.get(tree__is_current=True, code=code)


def point(code=LVDU_GRID1):
    return shapely.geometry.shape(Node.objects.get(code=code).geometry).representative_point()


def given_to_the_worker(code="JZ01", description="小区门口有人露宿", phone=""):
    """A case the community enters by phone: accepted and dispatched to grid 1's worker."""
    spot = point()
    return services.report(
        actor=User.objects.get(username="community_lvdu"),
        channel="phone",
        category=category(code),
        description=description,
        lng=spot.x,
        lat=spot.y,
        reporter_name="王先生",
        reporter_phone=phone,
    )


def task_of(case):
    return case.tasks.get(assignee__username="gridworker_lvdu1")


# --- The report form --------------------------------------------------------------------


def report_data(**overrides):
    data = {
        "category": category("SJ01").pk,
        "description": "巡查发现绿化带里一袋垃圾",
        "grid": Node.objects.get(code=LVDU_GRID1).pk,
        "address": "3号楼东侧",
        "key": "solve-1",
    }
    data.update(overrides)
    return data


def test_a_report_solved_on_the_spot_is_closed_at_once(as_user):
    client = as_user("gridworker_lvdu1")
    page = client.get("/m/report/").content.decode()
    assert "已当场解决，立即办结" in page and "办理结果（当场做了什么）" in page
    response = client.post(
        "/m/report/", {**report_data(), "solve_now": "on", "result": "已捡起投放到垃圾桶"}
    )
    assert response.status_code == 302 and response.url == "/m/"
    case = Case.objects.get(description="巡查发现绿化带里一袋垃圾")
    assert case.state == "closed" and case.kind == "instant" and case.channel == "patrol"
    assert case.events.get(action="solve_now").note == "已捡起投放到垃圾桶"
    # From the outbox (JSON): the answer says it is closed.
    response = client.post(
        "/m/report/",
        {
            **report_data(key="solve-2", description="井盖移位"),
            "solve_now": "on",
            "result": "已复位",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201 and response.json()["state"] == "closed"


def test_solved_on_the_spot_needs_what_was_done(as_user):
    client = as_user("gridworker_lvdu1")
    before = Case.objects.count()
    response = client.post("/m/report/", {**report_data(), "solve_now": "on", "result": " "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请写明当场是怎么处理的。" in page
    assert 'name="solve_now" data-toggles="result-field" checked' in page
    response = client.post(
        "/m/report/",
        {**report_data(key="solve-3"), "solve_now": "on"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and "result" in response.json()["errors"]
    assert Case.objects.count() == before
    # A party member may report but not handle: solving on the spot is refused, nothing kept.
    response = as_user("partymember_lvdu").post(
        "/m/report/", {**report_data(key="solve-4"), "solve_now": "on", "result": "已清理"}
    )
    assert response.status_code == 400 and "当场办结" in response.content.decode()
    assert Case.objects.count() == before


def test_a_refused_report_keeps_what_was_typed_and_asks_for_the_photo_again(as_user):
    client = as_user("gridworker_lvdu1")
    grid = Node.objects.get(code=LVDU_GRID1)
    before = Case.objects.count()
    data = {
        **report_data(key="kept-1"),
        "solve_now": "on",
        "result": "已清理",
        "photo": not_a_photo(),
    }
    response = client.post("/m/report/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "照片需要重新选择：只能上传 JPEG、PNG 或 WebP 格式的照片" in page
    assert "巡查发现绿化带里一袋垃圾</textarea>" in page and ">已清理</textarea>" in page
    assert 'value="3号楼东侧"' in page and 'name="key" value="kept-1"' in page
    assert f'<option value="{category("SJ01").pk}" selected>' in page
    assert f'<option value="{grid.pk}" selected>' in page
    # Another field wrong, the photo good: it is asked for again all the same, saying why.
    response = client.post("/m/report/", {**report_data(category=""), "photo": jpeg()})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请选择问题类别" in page and "照片需要重新选择：退回的表单无法保留已选的照片。" in page
    assert Case.objects.count() == before


def test_the_phone_checks_use_the_servers_limits(as_user, settings):
    settings.WANGGE_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    page = as_user("gridworker_lvdu1").get("/m/report/").content.decode()
    assert 'data-photo-max="2097152"' in page
    assert 'data-photo-types="image/jpeg,image/png,image/webp"' in page
    assert "照片不能超过 2 MB" in page


# --- What I reported, on the phone --------------------------------------------------------


def test_what_i_reported_opens_its_case(as_user):
    client = as_user("gridworker_lvdu1")
    response = client.post("/m/report/", report_data(key="mine-1", description="路灯不亮"))
    case = Case.objects.get(description="路灯不亮")
    page = client.get("/m/").content.decode()
    assert f'href="/m/cases/{case.pk}/"' in page
    page = client.get(f"/m/cases/{case.pk}/").content.decode()
    assert "路灯不亮" in page and case.number in page and "待受理" in page
    far = Case.objects.filter(grid__code__startswith=GUANLAN_GRID1).order_by("pk").first()
    assert client.get(f"/m/cases/{far.pk}/").status_code == 404
    assert client.post(f"/m/cases/{far.pk}/solve_now/", {"note": "x"}).status_code == 404
    assert response.status_code == 302


# --- The task page: solve, hand over, and a refused move that keeps its text ----------------


def test_a_case_solved_on_the_spot_from_its_task(as_user):
    case = given_to_the_worker()
    task = task_of(case)
    client = as_user("gridworker_lvdu1")
    page = client.get(f"/m/tasks/{task.pk}/").content.decode()
    assert ">当场办结</button>" in page and ">转办</button>" in page
    response = client.post(f"/m/tasks/{task.pk}/solve_now/", {"note": " "})
    assert response.status_code == 400
    assert "请写明处理结果或原因。" in response.content.decode()
    response = client.post(
        f"/m/tasks/{task.pk}/solve_now/",
        {"note": "已送社区临时救助点，家属已接回", "photo": jpeg(), "key": "sn-1-solve_now"},
    )
    assert response.status_code == 302 and response.url == "/m/"
    case.refresh_from_db()
    task.refresh_from_db()
    assert case.state == "closed" and task.state == "done"
    assert case.photos.get().event.action == "solve_now"


def test_s9_handed_to_the_aid_station_from_the_task(as_user):
    case = given_to_the_worker(description="桐柏路公交站有一名男子露宿")
    task = task_of(case)
    client = as_user("gridworker_lvdu1")
    station = Agency.objects.get(name="郑州市救助管理站")
    page = client.get(f"/m/tasks/{task.pk}/").content.decode()
    assert "郑州市救助管理站（救助站）" in page
    response = client.post(f"/m/tasks/{task.pk}/transfer/", {"note": "已联系救助站派车"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请选择转交的单位。" in page and "已联系救助站派车</textarea>" in page
    response = client.post(f"/m/tasks/{task.pk}/transfer/", {"note": "x", "agency": "99999"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == "dispatched"
    response = client.post(
        f"/m/tasks/{task.pk}/transfer/",
        {"agency": station.pk, "note": "已带到临时救助点，本人同意接受救助，救助站派车接走"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "transferred" and case.agency == station
    # The receipt is the community's, from the console.
    staff = as_user("community_lvdu")
    assert "<summary>登记转办回执</summary>" in staff.get(f"/cases/{case.pk}/").content.decode()


def test_a_finish_refused_for_a_bad_photo_keeps_its_text(as_user):
    case = given_to_the_worker(code="MD05", description="楼道里堆了旧家具")
    task = task_of(case)
    client = as_user("gridworker_lvdu1")
    response = client.post(
        f"/m/tasks/{task.pk}/finish/",
        {"note": "已协调住户搬走旧家具", "photo": not_a_photo(), "key": "fin-7-finish"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "已协调住户搬走旧家具</textarea>" in page
    assert "照片需要重新选择：只能上传 JPEG、PNG 或 WebP 格式的照片" in page
    assert 'name="key" value="fin-7-finish"' in page
    task.refresh_from_db()
    assert task.state == "dispatched" and not case.photos.exists()


def test_a_move_refused_by_the_machine_says_why(as_user):
    case = given_to_the_worker(code="MD05", description="楼道灯不亮")
    task = task_of(case)
    response = as_user("gridworker_lvdu1").post(f"/m/tasks/{task.pk}/start/", {})
    assert response.status_code == 409
    assert "“开始处置”未完成" in response.content.decode()


# --- Calling the reporter back from the phone ---------------------------------------------


def test_the_reporters_number_for_a_callback(as_user):
    case = given_to_the_worker(code="MD05", description="楼下车位被占", phone="13912345678")
    leader = as_user("gridleader_lvdu")
    page = leader.get(f"/m/cases/{case.pk}/").content.decode()
    assert "查看完整号码" in page and "13912345678" not in page and "139****5678" in page
    url = f"/m/cases/{case.pk}/reveal/"
    response = leader.post(url, {"purpose": ""})
    assert response.status_code == 400 and "13912345678" not in response.content.decode()
    response = leader.post(url, {"purpose": "other", "other": ""})
    assert response.status_code == 400 and "请写明查看原因。" in response.content.decode()
    response = leader.post(url, {"purpose": "callback"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="tel:13912345678"' in page and "仅在本页显示" in page
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="cases.case.revealed", target_id=str(case.pk))
    assert event.actor.username == "gridleader_lvdu" and event.reason.startswith("回访")
    # A grid worker makes no callbacks; another community's worker sees nothing of it.
    worker = as_user("gridworker_lvdu1")
    assert "查看完整号码" not in worker.get(f"/m/tasks/{task_of(case).pk}/").content.decode()
    assert worker.post(url, {"purpose": "callback"}).status_code == 404
    assert as_user("gridworker_guanlan1").post(url, {"purpose": "callback"}).status_code == 404
    assert AuditEvent.objects.filter(action="cases.case.revealed").count() == 1
    assert Task.objects.filter(case=case).exists()
