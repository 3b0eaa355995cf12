"""The grid team (网格团队): who helps in a grid, the buildings they look after, their open
errands and service hours — through the API, the console page and the export."""

from __future__ import annotations

import pytest
from django.utils import timezone

from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.fieldwork.models import CareRequest, TeamDuty
from wangge.territory.models import Building

pytestmark = pytest.mark.django_db

OFFICE = "community_lvdu"
URL = "/api/v1/grid-team"


def assert_problem(response, status: int) -> list[str]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return [e["field"].removeprefix("payload.") for e in response.json().get("errors", [])]


def team(client, **params):
    response = client.get(URL, {"limit": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return {item["username"]: item for item in body["items"]}


def test_the_team_of_lvdu_with_buildings_and_masked_numbers(api_as):
    members = team(api_as(OFFICE))
    for name in ("partymember_lvdu", "volunteer_lvdu", "police_lvdu", "property_lvdu"):
        assert name in members, name
    heads = [m for m in members.values() if m["role"] == "building_head"]
    assert len(heads) == 4 and all(head["buildings"] for head in heads)
    assert members["property_lvdu"]["buildings"]
    phone = members["volunteer_lvdu"]["phone"]
    assert phone == "136****5531"
    assert "13607715531" not in api_as(OFFICE).get(URL, {"limit": 500}).content.decode()


def test_filters_by_grid_code_or_name_and_role(api_as):
    office = api_as(OFFICE)
    grid1 = team(office, grid=LVDU_GRID1)
    assert "gridworker_lvdu1" in grid1 and "gridworker_lvdu2" not in grid1
    assert "partymember_lvdu" in grid1  # on the community above: in every grid's team
    assert set(team(office, grid="第1网格")) == set(grid1)
    parties = team(office, role="party_member")
    assert set(parties) == {"partymember_lvdu"}
    assert team(office, grid="nowhere") == {}
    assert_problem(office.get(URL, {"role": "mayor"}), 400)


def test_service_hours_add_up_by_month(api_as):
    party = team(api_as(OFFICE))["partymember_lvdu"]
    done = CareRequest.objects.filter(
        assignee__username="partymember_lvdu", state__in=["done", "rated"]
    )
    by_month: dict[str, int] = {}
    for errand in done:
        month = timezone.localtime(errand.done_at).strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + errand.minutes
    assert {row["month"]: row["minutes"] for row in party["service"]} == by_month
    this_month = timezone.localtime(timezone.now()).strftime("%Y-%m")
    assert party["minutes_this_month"] == by_month.get(this_month, 0)
    assert (
        party["open_errands"]
        == done.model.objects.filter(
            assignee__username="partymember_lvdu", state="assigned"
        ).count()
    )
    assert party["open_errands"] >= 1


def test_a_grid_worker_sees_their_team_and_nothing_far(api_as):
    mine = team(api_as("gridworker_lvdu1"))
    assert {"gridworker_lvdu1", "partymember_lvdu", "buildinghead_001001"} <= set(mine)
    assert "gridworker_lvdu2" not in mine
    far = team(api_as("gridworker_guanlan1"))
    assert not [m for m in far.values() if m["place"].startswith(LVDU)]
    # the party member sees no team at all (a helper, not an office)
    assert_problem(api_as("partymember_lvdu").get(URL), 404)


def test_buildings_given_and_taken_back(api_as, as_user):
    office = api_as(OFFICE)
    volunteer = team(office)["volunteer_lvdu"]
    building = Building.objects.filter(grid__code__startswith=LVDU_GRID2).order_by("pk").first()
    url = f"{URL}/{volunteer['id']}/buildings"
    given = office.post(url, {"building": building.pk}, content_type="application/json")
    assert given.status_code == 201, given.content
    assert building.pk in {b["id"] for b in given.json()["buildings"]}
    assert AuditEvent.objects.filter(action="fieldwork.teamduty.created").exists()
    far_building = Building.objects.filter(grid__code__startswith=GUANLAN).first()
    refused = office.post(url, {"building": far_building.pk}, content_type="application/json")
    assert assert_problem(refused, 400) == ["building"]
    # a grid worker of another street: the member is not there for them
    far = api_as("gridworker_guanlan1")
    assert_problem(far.post(url, {"building": far_building.pk}, "application/json"), 404)
    assert office.delete(f"{url}/{building.pk}").status_code == 204
    assert not TeamDuty.objects.filter(membership_id=volunteer["id"], building=building).exists()
    assert AuditEvent.objects.filter(action="fieldwork.teamduty.deleted").exists()
    # the same through the console page
    page = as_user(OFFICE)
    post = page.post(f"/grid-team/{volunteer['id']}/buildings/", {"building": building.pk})
    assert post.status_code == 302
    assert TeamDuty.objects.filter(membership_id=volunteer["id"], building=building).exists()


def test_the_team_page_and_its_export(as_user):
    page = as_user(OFFICE).get("/grid-team/", {"grid": LVDU})
    text = page.content.decode()
    assert page.status_code == 200 and "绿都社区双报到党员 郑伟" in text and "data-hours" in text
    assert as_user("gridworker_guanlan1").get("/grid-team/", {"grid": LVDU}).status_code in (
        200,
        400,
    )
    assert "郑伟" not in as_user("gridworker_guanlan1").get("/grid-team/").content.decode()
    assert as_user("partymember_lvdu").get("/grid-team/").status_code == 404
    export = as_user(OFFICE).get("/export/grid-team.csv")
    rows = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "郑伟" in rows and "13607715531" not in rows and "136****5531" in rows


def test_adding_a_member_through_the_accounts_services(as_user):
    district = as_user("district")
    page = district.get("/grid-team/").content.decode()
    assert 'action="/grid-team/add/"' in page
    refused = district.post(
        "/grid-team/add/",
        {"node": LVDU, "role": "grid_worker", "display_name": "王芳", "username": "vol_wf"},
    )
    assert refused.status_code == 400 and "王芳" in refused.content.decode()
    added = district.post(
        "/grid-team/add/",
        {
            "node": LVDU,
            "role": "volunteer",
            "display_name": "志愿者 王芳",
            "username": "vol_wf",
            "phone": "13700001234",
        },
    )
    assert added.status_code == 302
    assert AuditEvent.objects.filter(action="accounts.membership.added", after__user="vol_wf")
    # the community's staff may not create accounts: no form for them
    assert 'action="/grid-team/add/"' not in as_user(OFFICE).get("/grid-team/").content.decode()
