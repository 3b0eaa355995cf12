"""The console's case pages, for the demo's staff and grid workers: the queues and the list,
a case with the moves the caller may make, a move through the page, a new case."""

import pytest
import shapely

from wangge.cases.models import Case, Category
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


def within(code):
    """The cases of a grid and its micro-grids."""
    return Case.objects.filter(grid__path__startswith=Node.objects.get(code=code).path)


def a_case(code, **filters):
    return within(code).filter(**filters).order_by("pk").first()


def test_the_list_shows_my_cases_and_the_queues(as_user):
    client = as_user("gridworker_lvdu1")
    mine = a_case(LVDU_GRID1)
    theirs = a_case(GUANLAN_GRID1)
    page = client.get("/cases/", {"q": mine.number}).content.decode()
    assert f">{mine.number}</a>" in page and "我的待办" in page and "已超时" in page
    page = client.get("/cases/", {"q": theirs.number}).content.decode()
    assert f">{theirs.number}</a>" not in page and "没有案件" in page
    everything = client.get("/cases/").context["page"].paginator.count
    assert everything == within(LVDU_GRID1).count() + (
        Case.objects.filter(tasks__assignee__username="gridworker_lvdu1")
        .exclude(pk__in=within(LVDU_GRID1))
        .distinct()
        .count()
    )


def test_the_queues_on_the_home_page_link_to_the_list(as_user):
    client = as_user("community_lvdu")
    page = client.get("/").content.decode()
    assert "需要您处理的" in page and "/cases/?state=reported" in page
    response = client.get("/cases/?state=reported")
    assert response.status_code == 200
    assert all(case.state == "reported" for case in response.context["page"])


def test_who_may_not_see_cases_gets_a_404_and_strangers_the_login(as_user, client):
    assert client.get("/cases/").status_code == 302
    assert as_user("partymember_lvdu").get("/cases/").status_code == 404


def test_bad_filters_are_shown_not_crashed_on(as_user):
    response = as_user("community_lvdu").get("/cases/", {"state": "sleeping", "since": "soon"})
    assert response.status_code == 400
    assert set(response.context["filterset"].errors) == {"state", "since"}


def test_a_case_shows_its_timeline_and_only_the_moves_allowed(as_user):
    case = a_case(LVDU_GRID1, state="reported")
    staff = as_user("community_lvdu")
    page = staff.get(f"/cases/{case.pk}/").content.decode()
    assert case.title in page and "收到反映" in page  # the first step of its timeline
    assert "<summary>受理</summary>" in page and "<summary>核查通过</summary>" not in page
    worker = as_user("gridworker_lvdu1")
    assert "<summary>受理</summary>" not in worker.get(f"/cases/{case.pk}/").content.decode()
    far = a_case(GUANLAN_GRID1)
    assert worker.get(f"/cases/{far.pk}/").status_code == 404


def test_a_move_through_the_page_and_a_refused_one(as_user):
    case = a_case(LVDU_GRID1, state="reported")
    client = as_user("community_lvdu")
    response = client.post(f"/cases/{case.pk}/act/verify/", {"note": "现场已看过"})
    # Refused: the page comes back saying why, with the note typed shown, not lost.
    assert response.status_code == 409
    page = response.content.decode()
    assert "不能核查通过" in page and "现场已看过" in page
    case.refresh_from_db()
    assert case.state == "reported"
    assert client.post(f"/cases/{case.pk}/act/accept/", {}).status_code == 302
    case.refresh_from_db()
    assert case.state in ("accepted", "dispatched")
    response = client.post(f"/cases/{case.pk}/act/merge/", {"target": "999", "note": "重复"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有编号为 999 的案件" in page and 'value="999"' in page and ">重复</textarea>" in page
    far = a_case(GUANLAN_GRID1, state__in=["reported", "accepted"])
    assert client.post(f"/cases/{far.pk}/act/accept/", {}).status_code == 404
    assert client.post(f"/cases/{case.pk}/act/fly/", {}).status_code == 404
    assert client.get(f"/cases/{case.pk}/act/accept/").status_code == 405


def test_a_new_case_with_its_questions_once_per_key(as_user):
    client = as_user("community_lvdu")
    noise = Category.objects.get(tree__is_current=True, code="MD01")
    grid = Node.objects.get(code=LVDU_GRID1)
    page = client.get("/cases/new/").content.decode()
    assert "发生时段" in page and "群" in page
    data = {
        "channel": "group_chat",
        "category": noise.pk,
        "description": "【绿都1群】张阿姨：楼上每天半夜跳绳",
        "grid": grid.pk,
        "crs": "wgs84",
        "reporter_name": "张阿姨",
        "key": "console-1",
    }
    response = client.post("/cases/new/", data)
    assert response.status_code == 400 and "“发生时段”必填" in response.content.decode()
    data[f"q-{noise.form.code}-period"] = "night"
    response = client.post("/cases/new/", data)
    assert response.status_code == 302
    case = Case.objects.get(pk=int(response.url.strip("/").rsplit("/", 1)[-1]))
    assert case.channel == "group_chat" and case.attributes == {"period": "night"}
    assert case.grid == grid and case.reporter_name == "张阿姨"
    assert case.state != "reported"  # staff's cases are accepted on entry
    again = client.post("/cases/new/", data)
    assert again.url == response.url
    assert Case.objects.filter(description=data["description"]).count() == 1


def test_a_new_case_needs_a_place_inside_my_scope(as_user):
    client = as_user("gridworker_lvdu1")
    category = Category.objects.get(tree__is_current=True, code="SJ01")
    data = {"channel": "patrol", "category": category.pk, "description": "垃圾", "key": "k"}
    response = client.post("/cases/new/", {**data, "crs": "wgs84"})
    assert response.status_code == 400 and "请选择网格" in response.content.decode()
    far = shapely.geometry.shape(Node.objects.get(code=GUANLAN_GRID1).geometry)
    point = far.representative_point()
    response = client.post(
        "/cases/new/", {**data, "crs": "wgs84", "lng": point.x, "lat": point.y, "key": "k2"}
    )
    assert response.status_code in (400, 404)
    assert not Case.objects.filter(description="垃圾").exists()
    assert as_user("partymember_lvdu").get("/cases/new/").status_code == 200


def test_duplicates_are_offered_while_entering(as_user):
    client = as_user("community_lvdu")
    case = a_case(LVDU_GRID1, state__in=["reported", "accepted", "dispatched"])
    response = client.get(
        "/cases/new/duplicates/",
        {"category": case.category_id, "grid": case.grid_id, "description": case.description},
    )
    assert response.status_code == 200 and case.number in response.content.decode()
    assert client.get("/cases/new/duplicates/", {"category": "nope"}).content.strip() == b""


def _reported_with_phone(description="楼道堆放纸箱", phone="13811112222"):
    from wangge.cases import services

    point = shapely.geometry.shape(Node.objects.get(code=LVDU_GRID1).geometry)
    spot = point.representative_point()
    return services.report(
        actor=None,
        channel="web",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description=description,
        lng=spot.x,
        lat=spot.y,
        reporter_name="赵女士",
        reporter_phone=phone,
    )


def test_the_reporters_number_for_a_callback_from_the_case_page(as_user):
    from wangge.core.models import AuditEvent

    case = _reported_with_phone()
    staff = as_user("community_lvdu")
    page = staff.get(f"/cases/{case.pk}/").content.decode()
    assert "<summary>查看完整号码</summary>" in page and "13811112222" not in page
    url = f"/cases/{case.pk}/reveal/"
    response = staff.post(url, {"purpose": "other", "other": "问"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请说明查看原因（至少4个字）" in page and "13811112222" not in page
    response = staff.post(url, {"purpose": "details"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert '<strong class="full" translate="no">13811112222</strong>' in response.content.decode()
    event = AuditEvent.objects.get(action="cases.case.revealed", target_id=str(case.pk))
    assert event.reason == "向居民核实问题详情" and event.actor.username == "community_lvdu"
    # Shown on that answer only: the page itself stays masked.
    assert "13811112222" not in staff.get(f"/cases/{case.pk}/").content.decode()
    # Who makes no callbacks, or sees nothing of the place: a 404, nothing recorded.
    worker = as_user("gridworker_lvdu1")
    assert "查看完整号码" not in worker.get(f"/cases/{case.pk}/").content.decode()
    assert worker.post(url, {"purpose": "callback"}).status_code == 404
    assert as_user("gridworker_guanlan1").post(url, {"purpose": "callback"}).status_code == 404
    assert as_user("gridleader_lvdu").post(url, {"purpose": "callback"}).status_code == 200
    assert AuditEvent.objects.filter(action="cases.case.revealed").count() == 2


def test_a_refused_move_comes_back_with_what_was_typed(as_user):
    case = _reported_with_phone(description="小区健身器材损坏")
    staff = as_user("community_lvdu")
    assert staff.post(f"/cases/{case.pk}/act/accept/", {}).status_code == 302
    response = staff.post(
        f"/cases/{case.pk}/act/park/",
        {"parked_until": "2027-13-45", "note": "等待明年器材更新项目"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert '<details class="panel action" open>\n    <summary>挂账</summary>' in page
    assert 'value="2027-13-45"' in page and "等待明年器材更新项目</textarea>" in page
    assert "日期格式应如 2027-03-01" in page
    case.refresh_from_db()
    assert case.state != "parked"


def test_a_refused_new_case_keeps_every_field(as_user):
    client = as_user("community_lvdu")
    noise = Category.objects.get(tree__is_current=True, code="MD01")
    grid = Node.objects.get(code=LVDU_GRID1)
    data = {
        "channel": "walk_in",
        "category": noise.pk,
        "description": "楼上半夜拖椅子",
        "grid": grid.pk,
        "crs": "wgs84",
        "address": "7号楼2单元",
        "reporter_name": "钱先生",
        "reporter_phone": "12345",
        f"q-{noise.form.code}-period": "night",
        "key": "console-kept",
    }
    response = client.post("/cases/new/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "楼上半夜拖椅子</textarea>" in page and 'value="7号楼2单元"' in page
    assert 'value="钱先生"' in page and 'value="12345"' in page
    assert '<option value="walk_in" selected>' in page
    assert f'<option value="{grid.pk}" selected>' in page
    assert '<option value="night" selected>' in page
    assert "已填写和选择的内容都已保留" in page
