"""The notices API: for each route the happy path, the 404 outside scope and the bad input
(a problem+json naming the field), and a robot's key that goes in and never comes out."""

import json

import pytest

from wangge.demo.district import GUANLAN_GRID1, LVDU, LVDU_GRID1
from wangge.notices import services
from wangge.notices.models import Notice, NoticeKind, Robot

pytestmark = pytest.mark.django_db

STREET = "410102010"
WANDA = "410102010007"


def post(client, url, payload=None, **headers):
    return client.post(
        url, json.dumps(payload or {}), content_type="application/json", headers=headers
    )


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert field in [error["field"].removeprefix("payload.") for error in body["errors"]]
    return body


def notice_payload(node, *codes, **more):
    return {
        "kind": "convenience",
        "title": "冬季供暖报修",
        "body": "暖气不热请拨打报修电话。",
        "nodes": [node(code).pk for code in codes],
        **more,
    }


@pytest.fixture
def guanlan_notice(user_named, node):
    """A published notice of 观澜社区, another street's: out of 绿都's reach."""
    district = user_named("district")
    notice = services.create_notice(
        actor=district,
        kind=NoticeKind.objects.get(code="safety"),
        title="观澜通知",
        body="仅观澜社区。",
        nodes=[node(GUANLAN_GRID1)],
    )
    return services.publish_notice(actor=district, notice=notice)


def test_kinds(api_as):
    kinds = api_as("gridworker_lvdu1").get("/api/v1/notice-kinds").json()
    assert {"code": "lost_found", "name": "失物招领"} in kinds


def test_create_get_and_list(api_as, node, guanlan_notice):
    staff = api_as("community_lvdu")
    response = post(
        staff, "/api/v1/notices", notice_payload(node, LVDU), **{"Idempotency-Key": "n1"}
    )
    assert response.status_code == 201, response.content
    notice = response.json()
    assert notice["state"] == "draft" and notice["node"]["code"] == LVDU
    assert notice["kind_name"] == "便民" and [n["code"] for n in notice["nodes"]] == [LVDU]
    again = post(staff, "/api/v1/notices", notice_payload(node, LVDU), **{"Idempotency-Key": "n1"})
    assert again.status_code == 201 and again.json()["id"] == notice["id"]
    assert staff.get(f"/api/v1/notices/{notice['id']}").json()["title"] == "冬季供暖报修"
    listed = staff.get("/api/v1/notices", {"limit": 500}).json()
    ids = {item["id"] for item in listed["items"]}
    assert notice["id"] in ids and guanlan_notice.pk not in ids
    drafts = staff.get("/api/v1/notices", {"state": "draft", "q": "供暖"}).json()
    assert [item["id"] for item in drafts["items"]] == [notice["id"]]


def test_a_list_takes_a_fixed_number_of_queries(api_as, node, django_assert_max_num_queries):
    staff = api_as("community_lvdu")
    for number in range(4):
        post(staff, "/api/v1/notices", notice_payload(node, LVDU_GRID1, title=f"第{number}条"))
    with django_assert_max_num_queries(14):
        body = staff.get("/api/v1/notices", {"limit": 50}).json()
    assert body["count"] >= 4


def test_outside_scope_is_404(api_as, guanlan_notice):
    staff = api_as("community_lvdu")
    for url in (
        f"/api/v1/notices/{guanlan_notice.pk}",
        f"/api/v1/notices/{guanlan_notice.pk}/report",
    ):
        assert_problem(staff.get(url), 404)
    for step in ("publish", "approve", "reject", "withdraw"):
        assert_problem(post(staff, f"/api/v1/notices/{guanlan_notice.pk}/{step}", {}), 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "weather"}, "kind"),
        ({"template": 999999}, "template"),
        ({"care_tags": ["vip"]}, "care_tags"),
        ({"buildings": [999999]}, "buildings"),
        ({"wecom_format": "voice"}, "wecom_format"),
        ({"to_web": False, "to_wecom": False}, "to_web"),
        ({"publish_at": "tomorrow"}, "publish_at"),
    ],
)
def test_bad_input_is_400_naming_the_field(api_as, node, change, field):
    before = Notice.objects.count()
    response = post(
        api_as("community_lvdu"), "/api/v1/notices", notice_payload(node, LVDU, **change)
    )
    assert_problem(response, 400, field)
    assert Notice.objects.count() == before


def test_another_communitys_place_is_a_clear_400(api_as, node):
    staff = api_as("community_lvdu")
    body = assert_problem(
        post(staff, "/api/v1/notices", notice_payload(node, GUANLAN_GRID1)), 400, "nodes"
    )
    assert str(node(GUANLAN_GRID1).pk) in body["detail"]
    body = assert_problem(
        post(staff, "/api/v1/notices", notice_payload(node, STREET)), 400, "nodes"
    )
    assert "中原西路街道" in body["detail"]


def test_publish_then_report(api_as, node):
    staff = api_as("community_lvdu")
    notice = post(staff, "/api/v1/notices", notice_payload(node, LVDU)).json()
    published = post(staff, f"/api/v1/notices/{notice['id']}/publish")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert_problem(post(staff, f"/api/v1/notices/{notice['id']}/publish"), 409)
    report = staff.get(f"/api/v1/notices/{notice['id']}/report").json()
    assert report["total"]["pending"] == 6
    assert report["by_channel"] == [
        {
            "channel": "wecom",
            "pending": 6,
            "sending": 0,
            "sent": 0,
            "logged": 0,
            "failed": 0,
            "dead": 0,
        }
    ]
    assert len(report["by_grid"]) == 6 and report["possibly_repeated"] == 0
    withdrawn = post(staff, f"/api/v1/notices/{notice['id']}/withdraw", {"note": "有误"})
    assert withdrawn.json()["state"] == "withdrawn"
    assert staff.get(f"/api/v1/notices/{notice['id']}/report").json()["total"]["dead"] == 6
    assert_problem(post(staff, f"/api/v1/notices/{notice['id']}/withdraw", {}), 409)


def test_approval_of_a_street_wide_notice(api_as, node):
    street = api_as("street_zyxl")
    notice = post(street, "/api/v1/notices", notice_payload(node, LVDU, WANDA)).json()
    assert notice["needs_approval"] and notice["node"]["code"] == STREET
    assert_problem(post(street, f"/api/v1/notices/{notice['id']}/approve", {}), 409)  # a draft
    pending = post(street, f"/api/v1/notices/{notice['id']}/publish").json()
    assert pending["state"] == "pending" and pending["submitted_at"]
    assert_problem(post(street, f"/api/v1/notices/{notice['id']}/approve", {}), 409)  # own
    community = api_as("community_lvdu")
    refused = assert_problem(post(community, f"/api/v1/notices/{notice['id']}/approve", {}), 409)
    assert "中原西路街道" in refused["detail"]
    district = api_as("district")
    assert_problem(
        post(district, f"/api/v1/notices/{notice['id']}/reject", {"note": " "}), 400, "note"
    )
    approved = post(district, f"/api/v1/notices/{notice['id']}/approve", {"note": "同意发布"})
    assert approved.status_code == 200
    assert approved.json()["state"] == "published" and approved.json()["review_note"] == "同意发布"


def test_reject_sends_it_back(api_as, node):
    street = api_as("street_zyxl")
    notice = post(street, "/api/v1/notices", notice_payload(node, STREET)).json()
    post(street, f"/api/v1/notices/{notice['id']}/publish")
    back = post(api_as("district"), f"/api/v1/notices/{notice['id']}/reject", {"note": "补充时间"})
    assert back.status_code == 200 and back.json()["state"] == "draft"


def test_robots_keys_go_in_and_never_come_out(api_as, node):
    staff = api_as("community_lvdu")
    key = "5f1c3e0a-9d2b-4c1e-8a7f-2b6d9e4c1a03"
    created = post(
        staff,
        "/api/v1/robots",
        {"grid": node(LVDU_GRID1).pk, "name": "第1网格二群", "key": key},
    )
    assert created.status_code == 201, created.content
    assert created.json()["key"] == "****1a03" and key not in created.content.decode()
    listed = staff.get("/api/v1/robots", {"limit": 100})
    assert listed.json()["count"] == 7 and key not in listed.content.decode()
    assert all(item["key"].startswith("****") for item in listed.json()["items"])
    in_grid1 = staff.get("/api/v1/robots", {"grid": node(LVDU_GRID1).pk}).json()
    assert in_grid1["count"] == 2
    assert_problem(staff.get("/api/v1/robots", {"is_active": "maybe"}), 400)


def test_robots_outside_scope_and_bad_input(api_as, node):
    services.create_robot(actor=None, grid=node(GUANLAN_GRID1), name="观澜", key="guanlan-key-0001")
    staff = api_as("community_lvdu")
    names = [item["name"] for item in staff.get("/api/v1/robots").json()["items"]]
    assert "观澜" not in names
    outside = {"grid": node(GUANLAN_GRID1).pk, "name": "x", "key": "abcdefgh1234"}
    assert_problem(post(staff, "/api/v1/robots", outside), 404)
    bad = {"grid": node(LVDU_GRID1).pk, "name": "第1网格", "key": "short"}
    assert_problem(post(staff, "/api/v1/robots", bad), 400, "key")
    community = {"grid": node(LVDU).pk, "name": "社区群", "key": "abcdefgh1234"}
    assert_problem(post(staff, "/api/v1/robots", community), 400, "grid")
    assert_problem(post(staff, "/api/v1/robots", {"name": "无网格"}), 400, "grid")
    assert Robot.objects.filter(name__in=["第1网格", "社区群"]).count() == 0
    assert_problem(api_as("gridworker_lvdu1").post("/api/v1/robots", "{}", "application/json"), 400)
