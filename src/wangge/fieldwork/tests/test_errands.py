"""Care errands (帮办代办): raised for people who need care, given to a helper of the person's
grid, done on the phone with the minutes spent, rated by the person — through the API, the
console and the phone pages as the demo's people."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU, LVDU_GRID1
from wangge.fieldwork.errands import mask_name
from wangge.fieldwork.models import CareRequest, ErrandState
from wangge.people.models import Person

pytestmark = pytest.mark.django_db

OFFICE = "community_lvdu"
ME = "gridworker_lvdu1"
PARTY = "partymember_lvdu"
FAR = "gridworker_guanlan1"
URL = "/api/v1/care-requests"


def assert_problem(response, status: int) -> list[str]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return [e["field"].removeprefix("payload.") for e in response.json().get("errors", [])]


def listed(client, **params):
    response = client.get(URL, {"limit": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def alone_in(code: str) -> Person:
    return (
        Person.objects.filter(
            grid__code__startswith=code,
            tag_links__tag__code="living_alone",
            household__isnull=False,
        )
        .exclude(phone_hash="")
        .order_by("-pk")
        .first()
    )


def raised(client, person: Person, key: str | None = None, **extra):
    headers = {"Idempotency-Key": key} if key else {}
    payload = {"person": person.pk, "kind": "shopping", "description": "代购米和油", **extra}
    return client.post(URL, payload, content_type="application/json", headers=headers)


def test_the_demo_has_s2s_errands(api_as):
    items = listed(api_as(OFFICE), grid=LVDU)
    states = [item["state"] for item in items]
    assert states.count("rated") >= 6 and "open" in states
    assert any(i["state"] == "assigned" and i["helper"].endswith("郑伟") for i in items)
    callbacks = [i for i in items if i["rating_way"] == "callback"]
    assert callbacks and all(i["rated_by"] == "绿都社区 李娜" for i in callbacks)
    assert listed(api_as(OFFICE), state="open", grid=LVDU) == [
        i for i in items if i["state"] == "open"
    ]


def test_raise_assign_do_and_rate_through_the_api(api_as):
    office, party = api_as(OFFICE), api_as(PARTY)
    person = alone_in(LVDU_GRID1)
    first = raised(office, person, key="api-errand-1")
    assert first.status_code == 201, first.content
    again = raised(office, person, key="api-errand-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    errand = first.json()
    assert errand["state"] == "open" and errand["person_name"] == person.name
    url = f"{URL}/{errand['id']}"
    response = office.post(f"{url}/assign", {"helper": PARTY}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "assigned"
    # The party member sees it, named by the surname only (their role does not read people).
    mine = {item["id"]: item for item in listed(party)}
    assert mine[errand["id"]]["person_name"] == mask_name(person.name) != person.name
    assert party.post(f"{url}/accept").json()["accepted_at"]
    done = party.post(
        f"{url}/done",
        {"minutes": 45, "note": "超市代购，已送到家"},
        content_type="application/json",
        headers={"Idempotency-Key": "done-1"},
    )
    assert done.status_code == 200 and done.json()["state"] == "done"
    assert done.json()["minutes"] == 45
    rated = party.post(
        f"{url}/rate",
        {"rating": 5, "words": "很满意", "way": "in_person"},
        content_type="application/json",
    )
    assert rated.status_code == 200, rated.content
    body = office.get(url).json()
    assert (body["state"], body["rating"], body["rating_way"]) == ("rated", 5, "in_person")
    assert body["rated_by"] == "绿都社区双报到党员 郑伟"
    actions = set(
        AuditEvent.objects.filter(
            target_type="fieldwork.carerequest", target_id=str(errand["id"])
        ).values_list("action", flat=True)
    )
    assert actions == {
        f"fieldwork.carerequest.{verb}"
        for verb in ("created", "assigned", "accepted", "done", "rated")
    }


def test_outside_my_places_an_errand_is_not_there(api_as):
    errand = CareRequest.objects.filter(grid__code__startswith=LVDU).order_by("pk").first()
    far = api_as(FAR)
    assert_problem(far.get(f"{URL}/{errand.pk}"), 404)
    assert_problem(
        far.post(f"{URL}/{errand.pk}/cancel", {"reason": "x"}, content_type="application/json"),
        404,
    )
    assert errand.pk not in {item["id"] for item in listed(far)}
    # a person of another street cannot be named in a create
    fields = assert_problem(raised(far, alone_in(LVDU_GRID1)), 400)
    assert fields == ["person"]
    # the grid next door's worker does not see grid 1's errands
    assert errand.pk not in {i["id"] for i in listed(api_as("gridworker_lvdu2"), grid=LVDU_GRID1)}


def test_bad_input_names_the_field_and_writes_nothing(api_as):
    office = api_as(OFFICE)
    person = alone_in(LVDU_GRID1)
    before = CareRequest.objects.count()
    assert assert_problem(raised(office, person, description=""), 400) == ["description"]
    assert assert_problem(raised(office, person, kind="nope"), 400) == ["kind"]
    assert assert_problem(raised(office, person, source="nope"), 400) == ["source"]
    untagged = Person.objects.filter(
        grid__code__startswith=LVDU_GRID1, tag_links__isnull=True
    ).first()
    assert assert_problem(raised(office, untagged), 400) == ["person"]
    assert CareRequest.objects.count() == before
    errand = raised(office, person).json()
    url = f"{URL}/{errand['id']}"
    far_helper = {"helper": FAR}
    assert assert_problem(office.post(f"{url}/assign", far_helper, "application/json"), 400) == [
        "helper"
    ]
    assert assert_problem(
        office.post(f"{url}/rate", {"rating": 5, "way": "in_person"}, "application/json"), 400
    ) == ["state"]
    office.post(f"{url}/assign", {"helper": ME}, content_type="application/json")
    worker = api_as(ME)
    for payload, field in (
        ({"minutes": 0, "note": "x"}, "minutes"),
        ({"minutes": 5, "note": ""}, "note"),
    ):
        assert assert_problem(worker.post(f"{url}/done", payload, "application/json"), 400) == [
            field
        ]
    worker.post(f"{url}/done", {"minutes": 20, "note": "办好了"}, content_type="application/json")
    for payload, field in (
        ({"rating": 6, "way": "callback"}, "rating"),
        ({"rating": 4, "way": "x"}, "way"),
    ):
        assert assert_problem(office.post(f"{url}/rate", payload, "application/json"), 400) == [
            field
        ]
    assert CareRequest.objects.get(pk=errand["id"]).state == ErrandState.DONE
    other = raised(office, person).json()
    assert assert_problem(
        office.post(f"{URL}/{other['id']}/cancel", {"reason": ""}, "application/json"), 400
    ) == ["reason"]
    cancelled = office.post(
        f"{URL}/{other['id']}/cancel", {"reason": "家属已办"}, "application/json"
    )
    assert cancelled.json()["state"] == "cancelled"


def test_a_helper_sees_and_moves_only_their_own(api_as):
    party = api_as(PARTY)
    items = listed(party)
    assert items and {item["helper"] for item in items} == {"绿都社区双报到党员 郑伟"}
    others = CareRequest.objects.filter(grid__code__startswith=LVDU).exclude(
        assignee__username=PARTY
    )
    other = others.filter(state=ErrandState.OPEN).first()
    assert_problem(party.get(f"{URL}/{other.pk}"), 404)
    assert_problem(
        party.post(f"{URL}/{other.pk}/assign", {"helper": PARTY}, "application/json"), 404
    )
    # nothing in any answer is a phone or ID number
    text = party.get(URL, {"limit": 500}).content.decode()
    for person in Person.objects.filter(pk__in=[i["person_id"] for i in items]):
        assert person.name not in text
        assert person.phone not in text or not person.phone
        assert not person.id_number or person.id_number not in text


def test_the_phone_flow_with_a_key(as_user, api_as):
    office = api_as(OFFICE)
    person = alone_in(LVDU_GRID1)
    errand = raised(office, person).json()
    office.post(f"{URL}/{errand['id']}/assign", {"helper": PARTY}, content_type="application/json")
    phone = as_user(PARTY)
    page = phone.get("/m/errands/").content.decode()
    assert mask_name(person.name) in page and person.name not in page
    assert person.phone not in page
    detail = phone.get(f"/m/errands/{errand['id']}/").content.decode()
    assert "代购米和油" in detail and 'name="minutes"' in detail
    url = f"/m/errands/{errand['id']}/done/"
    refused = phone.post(url, {"minutes": "abc", "note": "买好了", "key": "k1"})
    assert refused.status_code == 400 and "买好了" in refused.content.decode()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 40)).save(out, "JPEG")
    receipt = SimpleUploadedFile("receipt.jpg", out.getvalue(), "image/jpeg")
    sent = {"minutes": "35", "note": "买好了，小票已交老人", "key": "k1", "photo": receipt}
    assert phone.post(url, sent).status_code == 302
    receipt.seek(0)
    assert phone.post(url, sent).status_code == 302  # sent again: done once
    done = AuditEvent.objects.filter(
        action="fieldwork.carerequest.done", target_id=str(errand["id"])
    )
    assert done.count() == 1
    stored = CareRequest.objects.get(pk=errand["id"])
    assert stored.minutes == 35 and stored.photo
    assert api_as(PARTY).get(f"{URL}/{errand['id']}/photo").status_code == 200
    rate = phone.post(
        f"/m/errands/{errand['id']}/rate/", {"rating": "4", "words": "好", "way": "in_person"}
    )
    assert rate.status_code == 302
    assert CareRequest.objects.get(pk=errand["id"]).state == ErrandState.RATED


def test_console_pages(as_user):
    office = as_user(OFFICE)
    page = office.get("/errands/", {"state": "rated", "grid": LVDU})
    assert page.status_code == 200 and "data-picker" in page.content.decode()
    person = alone_in(LVDU_GRID1)
    form = office.get("/errands/new/", {"person": person.pk}).content.decode()
    assert person.name in form
    refused = office.post(
        "/errands/new/", {"person": person.pk, "kind": "shopping", "description": "", "key": "c1"}
    )
    assert refused.status_code == 400
    made = office.post(
        "/errands/new/",
        {
            "person": person.pk,
            "kind": "paperwork",
            "description": "代办医保",
            "source": "family",
            "key": "c1",
        },
    )
    assert made.status_code == 302
    errand = CareRequest.objects.get(description="代办医保")
    bad = office.post(f"/errands/{errand.pk}/assign/", {"helper": "", "note": "周五前"})
    assert bad.status_code == 400 and "周五前" in bad.content.decode()
    helper = CareRequest.objects.filter(assignee__username=PARTY).first().assignee
    assert office.post(f"/errands/{errand.pk}/assign/", {"helper": helper.pk}).status_code == 302
    detail = office.get(f"/errands/{errand.pk}/").content.decode()
    assert "fieldwork.carerequest.assigned" in detail and "郑伟" in detail
    assert as_user(FAR).get(f"/errands/{errand.pk}/").status_code == 404
    export = as_user(OFFICE).get("/export/care-requests.csv", {"state": "rated"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "东西买得齐" in text and "代办医保" not in text  # rated only
    assert person.phone not in text
    far = as_user(FAR).get("/export/care-requests.csv")
    assert "绿都" not in b"".join(far.streaming_content).decode("utf-8-sig")


def test_grid_workers_cannot_see_errands_of_a_street_far_away(api_as):
    errand = CareRequest.objects.filter(grid__code__startswith=LVDU).first()
    items = listed(api_as(FAR), grid=GUANLAN_GRID1)
    assert errand.pk not in {i["id"] for i in items}
