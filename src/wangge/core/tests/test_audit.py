"""The audit log, in the API and on its page: a community sees what happened in its grids
(a grid worker's reveal, a visit), never another street's, and grid workers see none of it."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1
from wangge.people.models import Household, Person
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

ME = "gridworker_lvdu1"
PURPOSE = "电话回访独居老人"
EVENTS = "/api/v1/audit-events"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status
    return response.json()


def listed(client, **params):
    response = client.get(EVENTS, {"limit": 500, **params})
    assert response.status_code == 200, response.content
    return response.json()["items"]


@pytest.fixture
def revealed(api_as):
    """gridworker_lvdu1 reveals a grid-1 resident's phone; the event that wrote."""
    person = Person.objects.filter(grid__code__startswith=LVDU_GRID1).exclude(phone_hash="").first()
    response = api_as(ME).post(
        f"/api/v1/persons/{person.pk}/reveal",
        {"field": "phone", "purpose": PURPOSE},
        content_type="application/json",
    )
    assert response.status_code == 200
    return AuditEvent.objects.get(action="people.person.revealed", target_id=str(person.pk))


@pytest.fixture
def guanlan_visit(api_as):
    """gridworker_guanlan1 records a visit in 观澜社区; the event that wrote."""
    household = Household.objects.filter(grid__code__startswith=GUANLAN_GRID1).first()
    response = api_as("gridworker_guanlan1").post(
        "/api/v1/visits", {"household_id": household.pk}, content_type="application/json"
    )
    assert response.status_code == 201
    return AuditEvent.objects.get(
        action="people.visit.created", target_id=str(response.json()["id"])
    )


# --- The API ----------------------------------------------------------------------------------


def test_community_finds_the_reveal_of_its_grid_worker(api_as, revealed, user_named):
    client = api_as("community_lvdu")
    items = listed(client, target_type="people.person", target_id=revealed.target_id)
    assert revealed.pk in {item["id"] for item in items}
    body = client.get(f"{EVENTS}/{revealed.pk}").json()
    assert body["action"] == "people.person.revealed"
    assert body["actor_id"] == user_named(ME).pk
    assert "gridworker_lvdu1" in body["actor_name"]
    assert body["reason"] == PURPOSE
    assert body["after"] == {"field": "phone"}
    assert body["node_id"] == Person.objects.get(pk=revealed.target_id).grid_id


@pytest.mark.parametrize("persona", ["street_zyxl", "district"])
def test_those_above_the_community_see_it_too(api_as, revealed, persona):
    assert api_as(persona).get(f"{EVENTS}/{revealed.pk}").status_code == 200


def test_another_streets_events_are_404_and_not_listed(api_as, guanlan_visit):
    client = api_as("community_lvdu")
    assert_problem(client.get(f"{EVENTS}/{guanlan_visit.pk}"), 404)
    found = listed(client, target_type="people.visit", target_id=guanlan_visit.target_id)
    assert found == []
    # The street that holds 观澜 sees it.
    assert api_as("street_hhxl").get(f"{EVENTS}/{guanlan_visit.pk}").status_code == 200


def test_events_placed_on_no_node_only_for_the_whole_territory(api_as, user_named):
    api_as(ME)  # issuing a token is audited, on no territory node
    issued = AuditEvent.objects.filter(
        action="accounts.token.issued", actor=user_named(ME), node=None
    ).latest("id")
    assert_problem(api_as("community_lvdu").get(f"{EVENTS}/{issued.pk}"), 404)
    assert api_as("district").get(f"{EVENTS}/{issued.pk}").status_code == 200


def test_community_list_holds_only_its_events(api_as, revealed, guanlan_visit):
    client = api_as("community_lvdu")
    items = listed(client, since=(revealed.at - datetime.timedelta(seconds=1)).isoformat())
    ids = {item["id"] for item in items}
    assert revealed.pk in ids and guanlan_visit.pk not in ids
    lvdu_nodes = set(Node.objects.filter(code__startswith=LVDU).values_list("pk", flat=True))
    assert {item["node_id"] for item in listed(client)} <= lvdu_nodes


@pytest.mark.parametrize(
    "persona", [ME, "gridleader_lvdu", "partymember_lvdu", "buildinghead_001001"]
)
def test_roles_without_the_audit_log_see_nothing(api_as, revealed, persona):
    client = api_as(persona)
    assert client.get(EVENTS).json() == {"items": [], "count": 0}
    assert_problem(client.get(f"{EVENTS}/{revealed.pk}"), 404)


def test_filter_by_action_prefix_and_actor(api_as, revealed, user_named):
    client = api_as("community_lvdu")
    people_events = listed(client, action="people.person")
    assert people_events and all(e["action"].startswith("people.person") for e in people_events)
    # The demo's year of cases holds this worker's moves too: their people events are one.
    mine = listed(client, actor=user_named(ME).pk, action="people")
    assert [e["id"] for e in mine] == [revealed.pk]
    assert listed(client, actor=user_named(ME).pk, action="people.visit") == []


def test_filter_by_time(api_as, user_named):
    start = timezone.now()
    person = Person.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    api_as(ME).post(
        f"/api/v1/persons/{person.pk}/reveal",
        {"field": "id_number", "purpose": PURPOSE},
        content_type="application/json",
    )
    client = api_as("community_lvdu")
    # The demo's year of cases holds this worker's moves too: look at their people events.
    mine = {"actor": user_named(ME).pk, "action": "people"}
    assert len(listed(client, **mine, since=start.isoformat())) == 1
    assert listed(client, **mine, until=start.isoformat()) == []
    later = (start + datetime.timedelta(minutes=10)).isoformat()
    assert listed(client, **mine, since=later) == []
    # Local time with its offset means the same instant.
    local = timezone.localtime(start - datetime.timedelta(seconds=1)).isoformat()
    assert "+08:00" in local
    assert len(listed(client, **mine, since=local)) == 1


def test_filter_by_node_takes_its_subtree(api_as, node, revealed):
    client = api_as("community_lvdu")
    grid1 = node(LVDU_GRID1)
    items = listed(client, node=grid1.pk, since=(revealed.at - datetime.timedelta(1)).isoformat())
    subtree = set(Node.objects.filter(path__startswith=grid1.path).values_list("pk", flat=True))
    assert items and {item["node_id"] for item in items} <= subtree
    assert revealed.pk in {item["id"] for item in items}
    assert listed(client, node=node(GUANLAN).pk) == []


def test_events_about_persons_hold_no_full_numbers(api_as):
    items = listed(api_as("community_lvdu"), action="people.person.created")
    assert len(items) == 500
    # A creation lists what was given: a person without a phone number has none there.
    shown = {item["after"].get("id_number") for item in items} | {
        item["after"].get("phone") for item in items
    }
    persons = Person.objects.filter(pk__in=[int(item["target_id"]) for item in items])
    full = {p.id_number for p in persons} | {p.phone for p in persons if p.phone}
    assert not shown & full
    assert all("*" in value for value in shown if value)


def test_newest_first(api_as, revealed):
    items = listed(api_as("community_lvdu"), limit=50)
    assert items[0]["id"] == revealed.pk
    assert [item["at"] for item in items] == sorted((item["at"] for item in items), reverse=True)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01T00:00:00"}, "until"),
        ({"actor": "a b"}, "actor"),
        ({"node": "x"}, "node"),
        ({"limit": 0}, None),
        ({"limit": 501}, None),
        ({"offset": -1}, None),
    ],
)
def test_bad_query_is_400(api_as, params, field):
    body = assert_problem(api_as("community_lvdu").get(EVENTS, params), 400)
    if field:
        assert [error["field"] for error in body["errors"]] == [field]


def test_needs_authentication():
    assert_problem(Client().get(EVENTS), 401)


def test_list_does_not_query_per_event(api_as, django_assert_max_num_queries):
    client = api_as("district")
    client.get("/api/v1/me")  # the token's first use is recorded once
    with django_assert_max_num_queries(8):
        assert len(listed(client)) == 500


# --- The page ---------------------------------------------------------------------------------


def test_page_shows_the_communitys_events_with_filters(as_user, revealed):
    response = as_user("community_lvdu").get(
        "/audit/",
        {
            "target_type": "people.person",
            "target_id": revealed.target_id,
            "action": "people.person.revealed",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "审计日志" in page and "共 1 条记录" in page
    assert PURPOSE in page
    assert revealed.actor_name in page


def test_page_hides_another_streets_events(as_user, guanlan_visit):
    response = as_user("community_lvdu").get(
        "/audit/", {"target_type": "people.visit", "target_id": guanlan_visit.target_id}
    )
    page = response.content.decode()
    assert "共 0 条记录" in page and "没有记录" in page


def test_page_reports_a_bad_date_in_chinese(as_user):
    response = as_user("community_lvdu").get("/audit/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "输入一个有效的日期/时间" in response.content.decode()


def test_page_filters_by_node(as_user, node, revealed):
    client = as_user("community_lvdu")
    for code, count in ((LVDU_GRID1, 1), (GUANLAN, 0)):
        response = client.get("/audit/", {"node": node(code).pk, "action": revealed.action})
        assert f"共 {count} 条记录" in response.content.decode()


@pytest.mark.parametrize("persona", [ME, "partymember_lvdu"])
def test_page_is_404_for_roles_without_the_audit_log(as_user, persona):
    response = as_user(persona).get("/audit/")
    assert response.status_code == 404
    assert "未找到" in response.content.decode()


def test_page_needs_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_page_shows_a_change_named_like_a_reverse_relation(as_user):
    """A service may note a count under a name that is also a reverse relation of its row
    ("buildings" of a grid): the page shows it as written, not as the names of rows."""
    from wangge.core import audit

    grid = Node.objects.get(code=LVDU_GRID1)
    audit.record(
        actor=None,
        action="territory.node.counted",
        target=grid,
        node=grid,
        before={"buildings": 1},
        after={"buildings": 2, "children": 3},
    )
    response = as_user("community_lvdu").get("/audit/", {"action": "territory.node.counted"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "buildings" in page and "children" in page
