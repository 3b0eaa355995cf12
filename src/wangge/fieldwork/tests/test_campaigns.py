"""Inspection campaigns (排查), S6 and the dispute screening drive, through the API and the
pages, as the demo personas: coverage as a hand count gives it, a hazard answered opens a case
in its category, a retried check is one check, 404 outside one's places, bad input named,
nothing half-written, the report and its export."""

import csv
import io
import uuid
from unittest import mock

import pytest
from openpyxl import load_workbook

from wangge.cases.choices import Channel
from wangge.cases.models import Case
from wangge.core.errors import ValidationError
from wangge.core.models import IdempotencyKey
from wangge.demo import district as demo
from wangge.fieldwork.models import Campaign, Check
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db

WORKER = "gridworker_yz1"  # 一中社区 第1网格
BLIZZARD_ANSWERS = {
    "shed_snow": False,
    "eaves_ice": False,
    "trees_bent": False,
    "pipes": "wrapped",
    "fire_lane": False,
    "wiring": False,
    "flying_wire": False,
}


def blizzard() -> Campaign:
    return Campaign.objects.get(title=demo.BLIZZARD_CAMPAIGN)


def unchecked_in_grid1(campaign) -> Building:
    checked = Check.objects.filter(campaign=campaign).values("building_id")
    return (
        Building.objects.filter(grid__code=demo.YIZHONG_GRID1)
        .exclude(pk__in=checked)
        .order_by("pk")
        .first()
    )


def problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json", response.content
    return {error["field"]: error["message"] for error in response.json().get("errors", [])}


def test_coverage_matches_a_hand_count(api_as):
    campaign = blizzard()
    response = api_as("district").get(f"/api/v1/campaigns/{campaign.pk}/coverage")
    assert response.status_code == 200
    data = response.json()
    # By hand: every building of 一中社区, and what its checks say.
    place = Node.objects.get(code=demo.YIZHONG)
    buildings = list(Building.objects.filter(grid__path__startswith=place.path))
    checks = list(Check.objects.filter(campaign=campaign))
    checked = {c.building_id for c in checks}
    hazards = {c.building_id for c in checks if c.result == "hazard"}
    assert data["buildings"] == len(buildings) > 20
    assert data["checked"] == len(checked) and 0 < data["checked"] < data["buildings"]
    assert data["hazards"] == len(hazards) > 0
    assert data["percent"] == round(100 * len(checked) / len(buildings))
    by_grid = {}
    for building in buildings:
        row = by_grid.setdefault(building.grid.code, [0, 0, 0])
        row[0] += 1
        row[1] += building.pk in checked
        row[2] += building.pk in hazards
    assert {
        g["grid_code"]: [g["buildings"], g["checked"], g["hazards"]] for g in data["grids"]
    } == (by_grid)
    statuses = {item["id"]: item["status"] for item in data["items"]}
    assert {pk for pk, s in statuses.items() if s == "hazard"} == hazards
    assert {pk for pk, s in statuses.items() if s != "todo"} == checked


def test_the_console_shows_coverage_and_findings(as_user):
    campaign = blizzard()
    client = as_user("district")
    listing = client.get("/campaigns/").content.decode()
    assert demo.BLIZZARD_CAMPAIGN in listing and demo.DISPUTE_CAMPAIGN in listing
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    checked = Check.objects.filter(campaign=campaign).values("building_id").distinct().count()
    assert f"<td data-checked>{checked}</td>" in text
    assert "campaign-map-config" in text and "飞线充电" in text
    flying = Case.objects.filter(title__contains="飞线充电", grid__code__startswith=demo.YIZHONG)
    assert flying.count() >= 3
    for case in flying:  # the cases the campaign opened, each with its state
        assert case.number in text


def test_a_hazard_answered_on_the_phone_opens_a_case_and_moves_coverage(api_as):
    campaign = blizzard()
    building = unchecked_in_grid1(campaign)
    client = api_as(WORKER)
    before = client.get(f"/api/v1/campaigns/{campaign.pk}/coverage").json()
    key = uuid.uuid4().hex
    body = {"building": building.pk, "answers": {**BLIZZARD_ANSWERS, "flying_wire": True}}
    response = client.post(
        f"/api/v1/campaigns/{campaign.pk}/checks",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.content
    check = response.json()
    assert check["result"] == "hazard" and check["hazards"] == ["flying_wire"]
    assert len(check["cases"]) == 1
    case = Case.objects.get(pk=check["cases"][0]["id"])
    assert case.category.code == "AQ02" and case.channel == Channel.PATROL
    assert case.building_id == building.pk and case.grid_id == building.grid_id
    assert "飞线充电" in case.title
    after = client.get(f"/api/v1/campaigns/{campaign.pk}/coverage").json()
    assert after["checked"] == before["checked"] + 1
    assert after["hazards"] == before["hazards"] + 1
    # Sent again (the network dropped the answer): the same check, no second case.
    again = client.post(
        f"/api/v1/campaigns/{campaign.pk}/checks",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert again.status_code == 201 and again.json()["id"] == check["id"]
    assert Check.objects.filter(campaign=campaign, building=building).count() == 1
    assert (
        Case.objects.filter(building=building, category__code="AQ02", pk__gte=case.pk).count() == 1
    )
    detail = client.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert detail["cases_open"] >= 1 and detail["coverage"]["checked"] == after["checked"]


def test_outside_ones_places_is_a_404(api_as, as_user):
    campaign = blizzard()
    building = unchecked_in_grid1(campaign)
    far = api_as("gridworker_guanlan1")
    for path in ("", "/coverage", "/checks", "/teams"):
        response = far.get(f"/api/v1/campaigns/{campaign.pk}{path}")
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
    response = far.post(
        f"/api/v1/campaigns/{campaign.pk}/checks",
        {"building": building.pk, "answers": BLIZZARD_ANSWERS},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert far.post(f"/api/v1/campaigns/{campaign.pk}/close").status_code == 404
    ids = [row["id"] for row in far.get("/api/v1/campaigns").json()["items"]]
    assert campaign.pk not in ids
    assert Campaign.objects.get(title=demo.DISPUTE_CAMPAIGN).pk in ids
    page = as_user("gridworker_guanlan1")
    assert page.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert page.get(f"/campaigns/{campaign.pk}/report/").status_code == 404
    assert page.get(f"/m/campaigns/{campaign.pk}/check/{building.pk}/").status_code == 404
    # 绿都社区's people see nothing of 一中社区's campaign either.
    assert as_user("community_lvdu").get(f"/campaigns/{campaign.pk}/").status_code == 404


def test_bad_input_is_named_and_nothing_is_written(api_as):
    campaign = blizzard()
    building = unchecked_in_grid1(campaign)
    client = api_as(WORKER)
    checks = Check.objects.count()
    answers = {**BLIZZARD_ANSWERS, "flying_wire": "maybe", "nope": 1}
    del answers["shed_snow"]
    response = client.post(
        f"/api/v1/campaigns/{campaign.pk}/checks",
        {"building": building.pk, "answers": answers},
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = problem(response)
    assert "answers.flying_wire" in errors and "“是”或“否”" in errors["answers.flying_wire"]
    assert "answers.shed_snow" in errors and "answers.nope" in errors
    response = client.post(
        f"/api/v1/campaigns/{campaign.pk}/checks",
        {"answers": BLIZZARD_ANSWERS},
        content_type="application/json",
    )
    assert response.status_code == 400 and "building" in problem(response)
    assert Check.objects.count() == checks
    office = api_as("community_lvdu")
    response = office.post(
        "/api/v1/campaigns",
        {
            "title": "x" * 101,
            "checklist": "before-blizzard",
            "place": demo.LVDU,
            "starts_on": "2026-12-10",
            "ends_on": "2026-12-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "title" in problem(response)
    response = office.post(
        "/api/v1/campaigns",
        {
            "title": "冬季排查",
            "checklist": "before-blizzard",
            "place": demo.LVDU,
            "starts_on": "2026-12-10",
            "ends_on": "2026-12-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "ends_on" in problem(response)
    response = office.post(
        "/api/v1/campaigns",
        {
            "title": "冬季排查",
            "checklist": "no-such",
            "place": demo.LVDU,
            "starts_on": "2026-12-10",
            "ends_on": "2026-12-12",
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "checklist" in problem(response)
    assert not Campaign.objects.filter(title="冬季排查").exists()


def test_a_check_whose_case_cannot_be_opened_leaves_nothing(api_as):
    campaign = blizzard()
    building = unchecked_in_grid1(campaign)
    checks, cases, keys = (
        Check.objects.count(),
        Case.objects.count(),
        IdempotencyKey.objects.count(),
    )
    refusal = ValidationError({"category": "此类别已停用"})
    with mock.patch("wangge.fieldwork.services.campaigns.report", side_effect=refusal):
        response = api_as(WORKER).post(
            f"/api/v1/campaigns/{campaign.pk}/checks",
            {"building": building.pk, "answers": {**BLIZZARD_ANSWERS, "flying_wire": True}},
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    assert response.status_code == 400 and "category" in problem(response)
    assert (Check.objects.count(), Case.objects.count()) == (checks, cases)
    assert IdempotencyKey.objects.count() == keys


def test_a_campaign_made_opened_staffed_and_closed(api_as):
    office = api_as("community_lvdu")
    response = office.post(
        "/api/v1/campaigns",
        {
            "title": "绿都社区冬季消防安全排查",
            "checklist": "before-blizzard",
            "place": demo.LVDU,
            "starts_on": "2026-12-08",
            "ends_on": "2026-12-20",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    campaign = response.json()
    assert campaign["state"] == "draft" and campaign["kind"] == "hazard"
    grids = {team["grid_code"] for team in campaign["teams"]}
    assert demo.LVDU_GRID1 in grids and demo.LVDU_GRID2 in grids
    team1 = next(t for t in campaign["teams"] if t["grid_code"] == demo.LVDU_GRID1)
    assert "gridworker_lvdu1" in team1["members"]
    worker = api_as("gridworker_lvdu1")
    assert worker.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404  # a draft
    opened = office.post(f"/api/v1/campaigns/{campaign['id']}/open")
    assert opened.status_code == 200 and opened.json()["state"] == "open"
    seen = worker.get(f"/api/v1/campaigns/{campaign['id']}").json()
    assert [t["grid_code"] for t in seen["teams"]] == [demo.LVDU_GRID1]
    assert worker.post(f"/api/v1/campaigns/{campaign['id']}/close").status_code == 404
    changed = office.put(
        f"/api/v1/campaigns/{campaign['id']}/teams/{team1['id']}",
        {"members": ["gridworker_lvdu1", "gridworker_lvdu2"], "leader": "gridleader_lvdu"},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["leader"] == "gridleader_lvdu"
    assert set(changed.json()["members"]) == {
        "gridworker_lvdu1",
        "gridworker_lvdu2",
        "gridleader_lvdu",
    }
    strangers = office.put(
        f"/api/v1/campaigns/{campaign['id']}/teams/{team1['id']}",
        {"members": ["gridworker_guanlan1"]},
        content_type="application/json",
    )
    assert strangers.status_code == 400 and "members" in problem(strangers)
    closed = office.post(f"/api/v1/campaigns/{campaign['id']}/close")
    assert closed.json()["state"] == "closed"
    again = office.post(f"/api/v1/campaigns/{campaign['id']}/close")
    assert again.status_code == 400 and "state" in problem(again)
    listed = office.get("/api/v1/campaigns", {"state": "closed"}).json()
    assert campaign["id"] in [row["id"] for row in listed["items"]]


def test_the_console_makes_a_campaign_from_a_template(as_user):
    client = as_user("community_lvdu")
    form = client.get("/campaigns/new/").content.decode()
    assert "雪前安全隐患排查" in form and "矛盾纠纷排查" in form
    data = {
        "title": "绿都社区矛盾纠纷排查",
        "checklist": "dispute-screening",
        "place": demo.LVDU,
        "starts_on": "2026-12-12",
        "ends_on": "2026-12-01",
        "key": uuid.uuid4().hex,
    }
    refused = client.post("/campaigns/new/", data)
    assert refused.status_code == 400
    assert "绿都社区矛盾纠纷排查" in refused.content.decode()  # what was typed is kept
    data["ends_on"] = "2026-12-31"
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 302
    campaign = Campaign.objects.get(title="绿都社区矛盾纠纷排查")
    assert campaign.kind == "dispute" and campaign.node.code == demo.LVDU
    assert client.post("/campaigns/new/", data).status_code == 302  # sent twice: one campaign
    assert Campaign.objects.filter(title="绿都社区矛盾纠纷排查").count() == 1


def test_the_phone_lists_what_to_check_and_records_a_check(as_user):
    campaign = blizzard()
    building = unchecked_in_grid1(campaign)
    client = as_user(WORKER)
    listing = client.get("/m/campaigns/").content.decode()
    first = listing.index(f"/m/campaigns/{campaign.pk}/check/")
    assert f"/m/campaigns/{campaign.pk}/check/{building.pk}/" in listing[first : first + 400]
    url = f"/m/campaigns/{campaign.pk}/check/{building.pk}/"
    key = uuid.uuid4().hex
    data = {code: str(value).lower() for code, value in BLIZZARD_ANSWERS.items()}
    data.update(key=key, note="楼道有人私拉电线", flying_wire="")
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "楼道有人私拉电线" in refused.content.decode()  # kept
    data.update(flying_wire="true")
    done = client.post(url, data, follow=True)
    assert done.status_code == 200
    assert "已立案" in done.content.decode()
    assert client.post(url, data).status_code == 302  # the button pressed twice
    assert Check.objects.filter(campaign=campaign, building=building).count() == 1


def test_the_report_prints_and_exports(as_user):
    campaign = blizzard()
    client = as_user("district")
    report = client.get(f"/campaigns/{campaign.pk}/report/")
    assert report.status_code == 200
    text = report.content.decode()
    assert "campaigns.css" in text and 'data-hazard="flying_wire"' in text
    flying = sum(
        "flying_wire" in hazards
        for hazards in Check.objects.filter(campaign=campaign).values_list("hazards", flat=True)
    )
    assert f'<td data-hazard="flying_wire">{flying}</td>' in text
    exported = client.get(f"/export/campaign-checks.csv?campaign={campaign.pk}")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["排查活动", "网格编码", "网格"]
    assert len(rows) - 1 == Check.objects.filter(campaign=campaign).count()
    assert any("发现飞线充电" in row[7] or "飞线充电" in row[7] for row in rows[1:])
    book = client.get(f"/export/campaigns.xlsx?node={demo.YIZHONG}")
    sheet = load_workbook(
        io.BytesIO(b"".join(book.streaming_content) if book.streaming else book.content)
    )
    values = [row for row in sheet.active.iter_rows(values_only=True)]
    assert values[1][0] == demo.BLIZZARD_CAMPAIGN and len(values) == 2
    # Outside one's places, the export holds nothing of it.
    far = as_user("gridworker_guanlan1").get(f"/export/campaign-checks.csv?campaign={campaign.pk}")
    assert demo.YIZHONG not in b"".join(far.streaming_content).decode("utf-8-sig")
