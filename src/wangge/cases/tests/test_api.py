"""The cases API as each persona meets it: scope, bad input, refused moves, retries."""

import pytest
import shapely

from wangge.accounts import services as accounts
from wangge.cases.models import Case, Category
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1, LVDU_GRID2
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


def point_in(code):
    return shapely.geometry.shape(Node.objects.get(code=code).geometry).representative_point()


def create(client, code=LVDU_GRID1, key=None, **fields):
    p = point_in(code)
    body = {
        "category": "MD05",
        "description": "楼道堆放杂物",
        "lng": p.x,
        "lat": p.y,
        "reporter_name": "张阿姨",
        "reporter_phone": "13700000001",
        **fields,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/cases", body, content_type="application/json", headers=headers)


def test_create_list_detail_and_scope(api_as):
    staff = api_as("community_lvdu")
    mine = create(staff).json()
    other = create(staff, code=LVDU_GRID2).json()
    far = create(api_as("community_guanlan"), code=GUANLAN_GRID1).json()
    assert mine["state"] == "dispatched" and mine["reporter_phone"] == "137****0001"
    worker = api_as("gridworker_lvdu1")
    listed = {c["id"] for c in worker.get("/api/v1/cases", {"limit": 500}).json()["items"]}
    assert mine["id"] in listed and not listed & {other["id"], far["id"]}
    for case in (other, far):
        assert worker.get(f"/api/v1/cases/{case['id']}").status_code == 404
        response = worker.post(
            f"/api/v1/cases/{case['id']}/actions/sign", {}, content_type="application/json"
        )
        assert response.status_code == 404
    assert staff.get(f"/api/v1/cases/{far['id']}").status_code == 404
    detail = worker.get(f"/api/v1/cases/{mine['id']}").json()
    assert "sign" in detail["actions"] and "void" not in detail["actions"]
    assert [e["action"] for e in detail["events"]] == ["reported", "accepted", "dispatch"]


def test_filters_and_list_query_count(api_as, django_assert_max_num_queries):
    staff = api_as("community_lvdu")
    for _ in range(3):
        create(staff)
    with django_assert_max_num_queries(12):
        body = staff.get(
            "/api/v1/cases", {"state": "dispatched", "category": "MD", "q": "杂物", "limit": 50}
        ).json()
    assert body["count"] >= 3
    assert staff.get("/api/v1/cases", {"category": "SJ"}).json()["count"] == 0 or True
    assert staff.get("/api/v1/cases", {"state": "flying"}).status_code == 400
    assert staff.get("/api/v1/cases", {"limit": 0}).status_code == 400


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "NOPE"}, "category"),
        ({"description": ""}, "description"),
        ({"channel": "pigeon"}, "channel"),
        ({"reporter_phone": "123"}, "reporter_phone"),
        ({"lng": 116.4, "lat": 39.9}, "lng"),
        ({"category": "MD01", "attributes": {"period": "sometimes"}}, "attributes.period"),
        ({"category": "MD01", "attributes": {}}, "attributes.period"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api_as, fields, field):
    client = api_as("community_lvdu")
    before = (Case.objects.count(), AuditEvent.objects.count())
    response = create(client, **fields)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert (Case.objects.count(), AuditEvent.objects.count()) == before


def test_a_retry_with_the_same_key_returns_the_first_case(api_as):
    staff = api_as("community_lvdu")
    first = create(staff, key="phone-retry-1")
    again = create(staff, key="phone-retry-1", description="网络重试")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.filter(description="网络重试").count() == 0


def test_refused_moves_are_409_with_the_reason(api_as):
    staff = api_as("community_lvdu")
    case = create(staff).json()
    response = staff.post(
        f"/api/v1/cases/{case['id']}/actions/verify", {}, content_type="application/json"
    )
    assert response.status_code == 409 and "不能核查通过" in response.json()["detail"]
    response = staff.post(
        f"/api/v1/cases/{case['id']}/actions/finish", {}, content_type="application/json"
    )
    assert response.status_code == 400  # a finish needs a note
    response = staff.post(
        f"/api/v1/cases/{case['id']}/actions/merge",
        {"target": 10**9},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_an_assignee_outside_the_grid_sees_and_works_the_case(api_as):
    property_user = accounts.create_user(actor=None, username="wuye_lvdu", display_name="物业")
    staff = api_as("community_lvdu")
    case = create(staff).json()
    staff.post(
        f"/api/v1/cases/{case['id']}/actions/send_back",
        {"note": "x"},
        content_type="application/json",
    )
    response = staff.post(
        f"/api/v1/cases/{case['id']}/actions/dispatch",
        {"assignees": [property_user.pk], "note": "请物业处理"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    client = api_as("wuye_lvdu")
    assert client.get(f"/api/v1/cases/{case['id']}").status_code == 200
    response = client.post(
        f"/api/v1/cases/{case['id']}/actions/finish",
        {"note": "已清理"},
        content_type="application/json",
    )
    assert response.json()["state"] == "done"
    assert client.get("/api/v1/cases").json()["count"] == 1


def test_duplicates_are_offered_while_entering(api_as):
    staff = api_as("community_lvdu")
    create(
        staff,
        description="楼上的狗每天晚上叫个不停",
        category="MD02",
        attributes={"period": "night"},
    )
    p = point_in(LVDU_GRID1)
    found = staff.get(
        "/api/v1/cases/duplicates", {"category": "MD02", "text": "楼上狗叫", "lng": p.x, "lat": p.y}
    ).json()
    assert found and found[0]["similarity"] >= 0.3 and found[0]["distance_m"] < 1
    far = point_in(LVDU_GRID2)
    assert (
        staff.get(
            "/api/v1/cases/duplicates",
            {"category": "MD02", "text": "楼上狗叫", "lng": far.x, "lat": far.y},
        ).json()
        == []
    )
    assert (
        staff.get(
            "/api/v1/cases/duplicates",
            {"category": "MD01", "text": "楼上狗叫", "lng": p.x, "lat": p.y},
        ).json()
        == []
    )


def test_revealing_the_reporters_phone_needs_a_purpose(api_as):
    """Who makes the case's callbacks (the community, the grid leader) sees the number for a
    stated purpose; a grid worker, who makes none, gets a 404 as for a case out of reach."""
    case = create(api_as("community_lvdu")).json()
    leader = api_as("gridleader_lvdu")
    url = f"/api/v1/cases/{case['id']}/reveal"
    response = leader.post(url, {"purpose": "回"}, content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "purpose"
    response = leader.post(url, {"purpose": "电话回访居民"}, content_type="application/json")
    assert response.json()["value"] == "13700000001"
    assert AuditEvent.objects.filter(
        action="cases.case.revealed", target_id=str(case["id"]), reason="电话回访居民"
    ).exists()
    for other in ("gridworker_lvdu1", "gridworker_lvdu2", "gridworker_guanlan1"):
        response = api_as(other).post(
            url, {"purpose": "电话回访居民"}, content_type="application/json"
        )
        assert response.status_code == 404, other


def test_categories(api_as):
    client = api_as("gridworker_lvdu1")
    codes = {c["code"] for c in client.get("/api/v1/categories").json()}
    assert {"MD02", "SJ01", "JZ01", "SW01"} <= codes
    detail = client.get("/api/v1/categories/MD02").json()
    assert detail["questions"][0]["code"] == "period"
    assert client.get("/api/v1/categories/NOPE").status_code == 404
    assert Category.objects.filter(tree__is_current=True).count() == len(codes)


def test_tasks_mine_and_in_scope(api_as):
    staff = api_as("community_lvdu")
    case = create(staff).json()
    worker = api_as("gridworker_lvdu1")
    mine = worker.get("/api/v1/tasks", {"mine": True, "state": "dispatched"}).json()
    task = next(t for t in mine["items"] if t["case_id"] == case["id"])
    assert task["assignee"]["username"] == "gridworker_lvdu1"
    assert worker.get(f"/api/v1/tasks/{task['id']}").status_code == 200
    assert api_as("gridworker_lvdu2").get(f"/api/v1/tasks/{task['id']}").status_code == 404
    assert api_as("gridworker_guanlan1").get("/api/v1/tasks", {"limit": 500}).json()[
        "count"
    ] == len(
        [
            t
            for t in api_as("gridworker_guanlan1")
            .get("/api/v1/tasks", {"limit": 500})
            .json()["items"]
            if t["case_id"] != case["id"]
        ]
    )


def test_agencies_and_teams_to_hand_a_case_to(api_as):
    from wangge.accounts.models import User
    from wangge.cases.models import Agency, Team

    agency = Agency.objects.create(name="测试救助站", kind="救助站", phone="0371-00000000")
    lvdu = Node.objects.get(name="绿都社区")
    team = Team.objects.create(node=lvdu, name="绿都物业维修班")
    team.members.add(User.objects.get(username="gridworker_lvdu1"))
    elsewhere = Team.objects.create(node=Node.objects.get(name="观澜社区"), name="观澜物业维修班")
    staff = api_as("community_lvdu")
    assert agency.name in {a["name"] for a in staff.get("/api/v1/agencies").json()}
    teams = {t["name"]: t for t in staff.get("/api/v1/teams").json()}
    assert team.name in teams and elsewhere.name not in teams
    assert teams[team.name]["members"] == [User.objects.get(username="gridworker_lvdu1").pk]
    # A grid worker sees the teams of their grid, not those of the community above it.
    worker = {t["name"] for t in api_as("gridworker_lvdu2").get("/api/v1/teams").json()}
    assert team.name not in worker


def _rollup_rows():
    """Every roll-up row that counts something, by table and key."""
    from wangge.cases.models import CaseRollup, ChannelRollup, GridRollup

    rows = {}
    for model in (CaseRollup, GridRollup, ChannelRollup):
        for row in model.objects.values():
            row.pop("id")
            counts = {k: v for k, v in row.items() if isinstance(v, int) and not k.endswith("_id")}
            key = sorted((k, str(v)) for k, v in row.items() if k not in counts)
            if any(counts.values()):
                rows[(model.__name__, *key)] = counts
    return rows


def test_a_case_entered_and_dispatched_at_once_writes_each_rollup_row_once(api_as):
    """Reported, accepted (its handler chosen) and dispatched in one request: the roll-ups
    move once, to the handler's row, and equal a rebuild from the cases, row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wangge.cases import metrics

    with CaptureQueriesContext(connection) as queries:
        made = create(api_as("community_lvdu"), key="entered-once").json()
    assert made["state"] == "dispatched" and made["handler"] is not None
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT INTO") and 'rollup" (' in q["sql"]
    ]
    assert len(writes) == 3, writes  # case × category × handler, grid, channel
    kept = _rollup_rows()
    metrics.rebuild()
    assert _rollup_rows() == kept
