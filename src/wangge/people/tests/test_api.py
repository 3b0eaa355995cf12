"""Households, persons, reveals, visits, coverage and care tags through the API.

Personal data leaves masked (ID ``410102********1295``, phone ``138****6508``) unless revealed
with a purpose, which is audited; care tags only for roles that need them; everything outside
the caller's grids is a 404."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.people.models import CareTag, Household, Person, PersonTag, Visit

pytestmark = pytest.mark.django_db

ME = "gridworker_lvdu1"
HEAD = "buildinghead_001001"  # building head on 绿都 grid 1's west micro-grid
HEAD_GRID = f"{LVDU_GRID1}001"
RESIDENCE_LABELS = {
    "registered": "户籍人口",
    "floating": "流动人口",
    "separated": "人户分离",
    "renting": "租住人口",
    "overseas": "境外人员",
}
MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{3}[\dX]$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def fields_named(body) -> list[str]:
    return [error["field"].removeprefix("payload.") for error in body.get("errors", [])]


def listed(client, url, **params):
    response = client.get(url, {"limit": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def ids(items) -> set[int]:
    return {item["id"] for item in items}


def in_grid(model, prefix, **more):
    return model.objects.filter(grid__code__startswith=prefix, **more)


def full_numbers(*prefixes) -> set[str]:
    """Every full ID and phone number of the persons under these codes (decrypted here)."""
    return {
        value
        for prefix in prefixes
        for person in in_grid(Person, prefix)
        for value in (person.id_number, person.phone)
        if value
    }


def assert_masked(person_item):
    assert MASKED_ID.match(person_item["id_number"]), person_item["id_number"]
    assert person_item["phone"] == "" or MASKED_PHONE.match(person_item["phone"])


@pytest.fixture
def outsiders():
    """A household and a person in 绿都 grid 2 and in 观澜社区 (another street)."""
    return {
        "households": [in_grid(Household, p).first() for p in (LVDU_GRID2, GUANLAN_GRID1)],
        "persons": [in_grid(Person, p).first() for p in (LVDU_GRID2, GUANLAN_GRID1)],
    }


@pytest.fixture
def my_person():
    """A person in grid 1 with both an ID and a phone number."""
    return in_grid(Person, LVDU_GRID1).exclude(phone_hash="").first()


def reveal(client, person, field="phone", purpose="电话回访独居老人"):
    return client.post(
        f"/api/v1/persons/{person.pk}/reveal",
        {"field": field, "purpose": purpose},
        content_type="application/json",
    )


def post_visit(client, key=None, **payload):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/visits", payload, content_type="application/json", headers=headers)


# --- Households -------------------------------------------------------------------------------


def test_households_of_my_grid_only(api_as, outsiders):
    items = listed(api_as(ME), "/api/v1/households")
    assert ids(items) == set(in_grid(Household, LVDU_GRID1).values_list("pk", flat=True))
    assert not ids(items) & {h.pk for h in outsiders["households"]}
    first = items[0]
    household = Household.objects.get(pk=first["id"])
    assert first["number"] == household.number
    assert first["members"] == household.members.count()
    for item in items:
        assert item["residence_type_label"] == RESIDENCE_LABELS[item["residence_type"]]
    assert first["address"].endswith(household.dwelling.label)


def test_household_outside_scope_is_404(api_as, outsiders):
    client = api_as(ME)
    for household in outsiders["households"]:
        assert_problem(client.get(f"/api/v1/households/{household.pk}"), 404)


def test_household_detail_has_its_people_masked_with_care_tags(api_as):
    household = in_grid(Household, LVDU_GRID1).filter(members__isnull=False).first()
    body = api_as(ME).get(f"/api/v1/households/{household.pk}").json()
    assert body["grid"]["code"].startswith(LVDU_GRID1)
    assert ids(body["people"]) == set(household.members.values_list("pk", flat=True))
    for person in body["people"]:
        assert_masked(person)
        assert isinstance(person["care_tags"], list)


def test_building_head_sees_their_micro_grid_without_care_tags(api_as):
    client = api_as(HEAD)
    items = listed(client, "/api/v1/households")
    assert ids(items) == set(in_grid(Household, HEAD_GRID).values_list("pk", flat=True))
    body = client.get(f"/api/v1/households/{items[0]['id']}").json()
    assert body["people"] and all(person["care_tags"] is None for person in body["people"])
    next_door = in_grid(Household, f"{LVDU_GRID1}002").first()
    assert_problem(client.get(f"/api/v1/households/{next_door.pk}"), 404)


def test_party_member_sees_no_households(api_as):
    client = api_as("partymember_lvdu")
    assert listed(client, "/api/v1/households") == []
    household = in_grid(Household, LVDU).first()
    assert_problem(client.get(f"/api/v1/households/{household.pk}"), 404)


def test_household_filters(api_as, node):
    client = api_as("community_lvdu")
    household = in_grid(Household, LVDU_GRID2).exclude(dwelling=None).first()
    building = household.dwelling.building
    in_building = listed(client, "/api/v1/households", building=building.pk)
    assert household.pk in ids(in_building)
    assert all(
        item["address"].startswith(f"{building.compound}{building.name}") for item in in_building
    )
    renting = listed(client, "/api/v1/households", residence_type="renting")
    assert renting and {item["residence_type"] for item in renting} == {"renting"}
    assert ids(listed(client, "/api/v1/households", q=household.number)) == {household.pk}
    grid2 = listed(client, "/api/v1/households", grid=node(LVDU_GRID2).pk)
    assert ids(grid2) == set(in_grid(Household, LVDU_GRID2).values_list("pk", flat=True))


# --- Persons ----------------------------------------------------------------------------------


def test_persons_of_my_grid_only_all_masked(api_as, outsiders):
    response = api_as(ME).get("/api/v1/persons", {"limit": 500})
    items = response.json()["items"]
    assert ids(items) == set(in_grid(Person, LVDU_GRID1).values_list("pk", flat=True))
    assert not ids(items) & {p.pk for p in outsiders["persons"]}
    for item in items:
        assert_masked(item)
    body = response.content.decode()
    leaked = [value for value in full_numbers(LVDU_GRID1) if value in body]
    assert not leaked, leaked[:3]


def test_masks_keep_the_ends_of_the_numbers(api_as, my_person):
    body = api_as(ME).get(f"/api/v1/persons/{my_person.pk}").json()
    assert body["id_number"] == my_person.id_number[:6] + "*" * 8 + my_person.id_number[-4:]
    assert body["phone"] == my_person.phone[:3] + "****" + my_person.phone[-4:]


@pytest.mark.parametrize("url", ["/api/v1/households", "/api/v1/persons"])
def test_no_full_number_in_a_community_wide_list(api_as, url):
    body = api_as("community_lvdu").get(url, {"limit": 500}).content.decode()
    leaked = [value for value in full_numbers(LVDU) if value in body]
    assert not leaked, leaked[:3]


def test_person_outside_scope_is_404(api_as, outsiders):
    client = api_as(ME)
    for person in outsiders["persons"]:
        assert_problem(client.get(f"/api/v1/persons/{person.pk}"), 404)


def test_care_tags_shown_to_grid_worker_hidden_from_building_head(api_as):
    tagged = (
        in_grid(Person, HEAD_GRID).filter(tag_links__tag__code="living_alone").distinct().first()
    )
    worker = api_as(ME).get(f"/api/v1/persons/{tagged.pk}").json()
    assert "living_alone" in {tag["code"] for tag in worker["care_tags"]}
    head = api_as(HEAD).get(f"/api/v1/persons/{tagged.pk}").json()
    assert head["care_tags"] is None
    assert head["name"] == tagged.name
    assert_masked(head)


def test_filter_by_name_sex_and_household(api_as):
    client = api_as(ME)
    person = in_grid(Person, LVDU_GRID1).first()
    assert person.pk in ids(listed(client, "/api/v1/persons", q=person.name[1:]))
    women = listed(client, "/api/v1/persons", sex="female")
    assert women and {item["sex"] for item in women} == {"female"}
    members = listed(client, "/api/v1/persons", household=person.household_id)
    assert ids(members) == set(person.household.members.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("params", "low", "high"),
    [
        ({"age_min": 60}, 60, 200),
        ({"age_max": 15}, 0, 15),
        ({"age_min": 30, "age_max": 40}, 30, 40),
    ],
)
def test_filter_by_age(api_as, params, low, high):
    items = listed(api_as(ME), "/api/v1/persons", **params)
    assert items and all(low <= item["age"] <= high for item in items)
    everyone = in_grid(Person, LVDU_GRID1)
    expected = [p.pk for p in everyone if p.age() is not None and low <= p.age() <= high]
    assert ids(items) == set(expected)


def test_filter_by_grid(api_as, node, outsiders):
    client = api_as(ME)
    east = node(f"{LVDU_GRID1}002")
    items = listed(client, "/api/v1/persons", grid=east.pk)
    assert items and {item["grid_id"] for item in items} == {east.pk}
    assert listed(client, "/api/v1/persons", grid=outsiders["persons"][0].grid_id) == []


def test_filter_by_care_tag_within_care_scope(api_as):
    items = listed(api_as(ME), "/api/v1/persons", care_tag="living_alone")
    expected = in_grid(Person, LVDU_GRID1).filter(care_tags__code="living_alone").distinct()
    assert items and ids(items) == set(expected.values_list("pk", flat=True))
    assert all("living_alone" in {t["code"] for t in item["care_tags"]} for item in items)


def test_building_head_cannot_find_people_by_care_tag(api_as):
    assert in_grid(Person, HEAD_GRID).filter(care_tags__code="living_alone").exists()
    assert listed(api_as(HEAD), "/api/v1/persons", care_tag="living_alone") == []
    assert listed(api_as(HEAD), "/api/v1/persons")  # they do see the people, untagged


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sex": "x"}, "sex"),
        ({"status": "gone"}, "status"),
        ({"age_min": "old"}, "age_min"),
        ({"grid": "abc"}, "grid"),
        ({"household": "abc"}, "household"),
        ({"limit": 0}, None),
        ({"limit": 501}, None),
        ({"offset": -1}, None),
    ],
)
def test_bad_person_query_is_400(api_as, params, field):
    body = assert_problem(api_as(ME).get("/api/v1/persons", params), 400)
    if field:
        assert fields_named(body) == [field]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"residence_type": "castle"}, "residence_type"), ({"building": "x"}, "building")],
)
def test_bad_household_query_is_400(api_as, params, field):
    body = assert_problem(api_as(ME).get("/api/v1/households", params), 400)
    assert fields_named(body) == [field]


# --- Reveal -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_reveal_gives_the_full_value_and_audits_the_purpose(api_as, user_named, my_person, field):
    response = reveal(api_as(ME), my_person, field=field, purpose="  核实身份办理低保  ")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "person_id": my_person.pk,
        "field": field,
        "value": getattr(my_person, field),
    }
    event = AuditEvent.objects.get(
        action="people.person.revealed", target_type="people.person", target_id=str(my_person.pk)
    )
    assert event.reason == "核实身份办理低保"
    assert event.actor == user_named(ME)
    assert event.node_id == my_person.grid_id
    assert event.after == {"field": field}
    assert getattr(my_person, field) not in str(event.after)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"field": "phone", "purpose": "看看"}, "purpose"),
        ({"field": "phone", "purpose": "    "}, "purpose"),
        ({"field": "phone"}, "purpose"),
        ({"field": "name", "purpose": "核实身份办理低保"}, "field"),
        ({"purpose": "核实身份办理低保"}, "field"),
    ],
)
def test_reveal_needs_a_purpose_and_a_revealable_field(api_as, my_person, payload, field):
    response = api_as(ME).post(
        f"/api/v1/persons/{my_person.pk}/reveal", payload, content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert fields_named(body) == [field]
    assert my_person.phone not in response.content.decode()
    assert not AuditEvent.objects.filter(action="people.person.revealed").exists()


@pytest.mark.parametrize("persona", [HEAD, "partymember_lvdu"])
def test_roles_without_reveal_get_404(api_as, persona):
    person = in_grid(Person, HEAD_GRID).exclude(phone_hash="").first()
    assert_problem(reveal(api_as(persona), person), 404)
    assert not AuditEvent.objects.filter(action="people.person.revealed").exists()


def test_reveal_outside_scope_is_404(api_as, outsiders):
    client = api_as(ME)
    for person in outsiders["persons"]:
        assert_problem(reveal(client, person), 404)
    assert not AuditEvent.objects.filter(action="people.person.revealed").exists()


def test_community_staff_may_reveal_in_their_community(api_as, outsiders):
    person = outsiders["persons"][0]  # grid 2 of 绿都
    response = reveal(api_as("community_lvdu"), person, field="id_number")
    assert response.json()["value"] == person.id_number


# --- Visits -----------------------------------------------------------------------------------


@pytest.fixture
def my_household():
    return in_grid(Household, LVDU_GRID1).first()


def test_visits_of_my_grid(api_as, outsiders):
    items = listed(api_as(ME), "/api/v1/visits")
    assert ids(items) == set(in_grid(Visit, LVDU_GRID1).values_list("pk", flat=True))
    outside = {v.pk for h in outsiders["households"] for v in h.visits.all()}
    assert outside and not ids(items) & outside
    times = [item["visited_at"] for item in items]
    assert times == sorted(times, reverse=True)


def test_visit_filters(api_as, my_household):
    client = api_as(ME)
    of_one = listed(client, "/api/v1/visits", household=my_household.pk)
    assert ids(of_one) == set(my_household.visits.values_list("pk", flat=True))
    calls = listed(client, "/api/v1/visits", kind="phone")
    assert calls and {item["kind"] for item in calls} == {"phone"}
    since = (timezone.now() - datetime.timedelta(days=30)).isoformat()
    recent = listed(client, "/api/v1/visits", since=since)
    expected = in_grid(Visit, LVDU_GRID1, visited_at__gte=since)
    assert ids(recent) == set(expected.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "telepathy"}, "kind"),
        ({"since": "last week"}, "since"),
        ({"household": "x"}, "household"),
    ],
)
def test_bad_visit_query_is_400(api_as, params, field):
    body = assert_problem(api_as(ME).get("/api/v1/visits", params), 400)
    assert fields_named(body) == [field]


def test_building_head_sees_no_visits(api_as):
    assert listed(api_as(HEAD), "/api/v1/visits") == []


def test_recording_a_visit(api_as, user_named, my_household):
    visited = timezone.now() - datetime.timedelta(hours=2)
    response = post_visit(
        api_as(ME),
        household_id=my_household.pk,
        kind="phone",
        visited_at=visited.isoformat(),
        notes="电话询问供暖情况",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    visit = Visit.objects.get(pk=body["id"])
    assert visit.visitor == user_named(ME) and body["visitor_id"] == visit.visitor_id
    assert body["household_id"] == my_household.pk and body["grid_id"] == my_household.grid_id
    assert visit.kind == "phone" and visit.notes == "电话询问供暖情况"
    assert abs(visit.visited_at - visited) < datetime.timedelta(seconds=1)
    assert AuditEvent.objects.filter(
        action="people.visit.created", target_id=str(visit.pk), node_id=my_household.grid_id
    ).exists()


def test_visit_without_a_time_is_now(api_as, my_household):
    body = post_visit(api_as(ME), household_id=my_household.pk).json()
    visited = datetime.datetime.fromisoformat(body["visited_at"])
    assert abs(timezone.now() - visited) < datetime.timedelta(minutes=1)
    assert body["kind"] == "home"


def test_same_idempotency_key_twice_is_one_visit(api_as, my_household):
    client = api_as(ME)
    before = Visit.objects.count()
    first = post_visit(client, key="visit-7f3a", household_id=my_household.pk, notes="第一次")
    retry = post_visit(client, key="visit-7f3a", household_id=my_household.pk, notes="第一次")
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert Visit.objects.count() == before + 1


def test_another_user_with_the_same_key_gets_their_own_visit(api_as, my_household):
    mine = post_visit(api_as(ME), key="visit-7f3a", household_id=my_household.pk).json()
    theirs = post_visit(
        api_as("gridleader_lvdu"), key="visit-7f3a", household_id=my_household.pk
    ).json()
    assert mine["id"] != theirs["id"]
    assert mine["visitor_id"] != theirs["visitor_id"]


def test_visit_to_a_household_outside_scope_is_404(api_as, outsiders):
    client = api_as(ME)
    before = Visit.objects.count()
    for household in outsiders["households"]:
        assert_problem(post_visit(client, household_id=household.pk), 404)
    assert Visit.objects.count() == before


@pytest.mark.parametrize("persona", [HEAD, "partymember_lvdu"])
def test_roles_that_do_not_visit_get_404(api_as, persona):
    household = in_grid(Household, HEAD_GRID).first()
    assert_problem(post_visit(api_as(persona), household_id=household.pk), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"visited_at": "2099-01-01T09:00:00+08:00"}, "visited_at"),
        ({"kind": "telepathy"}, "kind"),
        ({"visited_at": "yesterday"}, "visited_at"),
        ({"household_id": None}, "household_id"),
    ],
)
def test_bad_visit_is_400_and_writes_nothing(api_as, my_household, payload, field):
    before = Visit.objects.count()
    body = assert_problem(
        post_visit(api_as(ME), **{"household_id": my_household.pk, **payload}), 400
    )
    assert fields_named(body) == [field]
    assert Visit.objects.count() == before


def test_visit_time_without_zone_is_taken_as_local_or_refused(api_as, my_household):
    response = post_visit(
        api_as(ME), household_id=my_household.pk, visited_at="2026-01-05T10:00:00"
    )
    assert response.status_code in (201, 400)


# --- Coverage ---------------------------------------------------------------------------------


def test_coverage_of_my_grid_matches_the_register(api_as):
    rows = api_as(ME).get("/api/v1/coverage").json()
    assert [row["node"]["code"] for row in rows] == [LVDU_GRID1]
    row = rows[0]
    households = in_grid(Household, LVDU_GRID1)
    since = timezone.now() - datetime.timedelta(days=90)
    visited = in_grid(Visit, LVDU_GRID1, visited_at__gte=since).values("household").distinct()
    assert row["days"] == 90
    assert row["households"] == households.count()
    assert row["households_visited"] == visited.count()
    assert row["persons"] == in_grid(Person, LVDU_GRID1, status="active").count()
    assert row["visit_rate"] == round(row["households_visited"] / row["households"], 4)


def test_coverage_under_a_node(api_as, node):
    rows = api_as("community_lvdu").get("/api/v1/coverage", {"node": node(LVDU).pk}).json()
    assert rows[0]["node"]["code"] == LVDU
    assert [row["node"]["code"] for row in rows[1:]] == [f"{LVDU}{n:03d}" for n in range(1, 7)]
    for key in ("dwellings", "households", "households_visited", "persons"):
        assert rows[0][key] == sum(row[key] for row in rows[1:])
    rows = api_as(ME).get("/api/v1/coverage", {"node": node(LVDU_GRID1).pk}).json()
    assert [row["node"]["code"] for row in rows] == [LVDU_GRID1, HEAD_GRID, f"{LVDU_GRID1}002"]


def test_shorter_window_counts_fewer_visits(api_as):
    client = api_as(ME)
    quarter = client.get("/api/v1/coverage").json()[0]
    month = client.get("/api/v1/coverage", {"days": 30}).json()[0]
    assert month["days"] == 30
    assert month["households_visited"] <= quarter["households_visited"]


@pytest.mark.parametrize("code", [LVDU_GRID2, GUANLAN_GRID1])
def test_coverage_of_a_node_outside_scope_is_404(api_as, node, code):
    assert_problem(api_as(ME).get("/api/v1/coverage", {"node": node(code).pk}), 404)


def test_party_member_gets_no_coverage(api_as):
    assert_problem(api_as("partymember_lvdu").get("/api/v1/coverage"), 404)


@pytest.mark.parametrize("params", [{"days": 3651}, {"days": -1}, {"days": "x"}, {"node": "x"}])
def test_bad_coverage_query_is_400(api_as, params):
    assert_problem(api_as(ME).get("/api/v1/coverage", params), 400)


def test_coverage_of_zero_days_is_400(api_as):
    assert_problem(api_as(ME).get("/api/v1/coverage", {"days": 0}), 400)


# --- Care tags, authentication, query counts ------------------------------------------------


def test_care_tags_are_the_editable_list(api_as):
    body = api_as(ME).get("/api/v1/care-tags").json()
    assert [tag["code"] for tag in body] == list(
        CareTag.objects.filter(is_active=True).values_list("code", flat=True)
    )
    by_code = {tag["code"]: tag for tag in body}
    assert by_code["living_alone"]["name"] == "独居老人"
    assert by_code["disabled"]["has_disability_detail"] is True


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/households",
        "/api/v1/persons",
        "/api/v1/visits",
        "/api/v1/coverage",
        "/api/v1/care-tags",
    ],
)
def test_people_endpoints_need_authentication(url):
    assert_problem(Client().get(url), 401)


@pytest.mark.parametrize("url", ["/api/v1/households", "/api/v1/persons", "/api/v1/visits"])
def test_lists_do_not_query_per_item(api_as, url, django_assert_max_num_queries):
    client = api_as("community_lvdu")
    client.get("/api/v1/me")  # the token's first use is recorded once
    with django_assert_max_num_queries(8):
        items = client.get(url, {"limit": 500}).json()["items"]
    assert len(items) > 300


def test_household_detail_does_not_query_per_member(api_as, django_assert_max_num_queries):
    household = max(
        in_grid(Household, LVDU_GRID1).filter(members__isnull=False).distinct()[:20],
        key=lambda h: h.members.count(),
    )
    assert household.members.count() >= 3
    client = api_as(ME)
    client.get("/api/v1/me")
    with django_assert_max_num_queries(8):
        assert len(client.get(f"/api/v1/households/{household.pk}").json()["people"]) >= 3


def test_care_tag_links_are_shown_with_their_disability_detail(api_as):
    link = (
        PersonTag.objects.filter(person__grid__code__startswith=LVDU_GRID1, tag__code="disabled")
        .select_related("person")
        .first()
    )
    tags = api_as(ME).get(f"/api/v1/persons/{link.person_id}").json()["care_tags"]
    disabled = next(tag for tag in tags if tag["code"] == "disabled")
    assert disabled["disability_category"] == link.disability_category != ""
    assert disabled["disability_grade"] == link.disability_grade
