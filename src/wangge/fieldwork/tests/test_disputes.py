"""Disputes and people's mediation (矛盾纠纷与人民调解) through the API and the pages, as the
demo's people: a dispute taken in from a case (whose own loop and callback go on), a session,
a written agreement printed (recorded), a follow-up visit from the phone; the parties' details
masked in every answer, page, export and audit event; outside one's places a 404; bad input
refused naming the field, nothing written."""

from __future__ import annotations

import json
import uuid

import pytest

from wangge.cases.choices import State
from wangge.cases.models import Case
from wangge.core.models import AuditEvent
from wangge.demo.district import DISPUTE_CAMPAIGN, GUANLAN, GUANLAN_GRID1, LVDU_GRID1
from wangge.demo.history import story_case
from wangge.fieldwork.models import (
    Campaign,
    Dispute,
    DisputeState,
    FollowUp,
    MediationSession,
)
from wangge.people.models import Person

pytestmark = pytest.mark.django_db

OFFICE = "community_lvdu"
ME = "gridworker_lvdu1"
FAR = "gridworker_guanlan1"
# A respondent who does not live here: typed in, kept encrypted, shown masked.
PHONE = "13912345678"
ID_NUMBER = "410102198001010018"
NAME = "欧阳德华"
ADDRESS = "郑州市二七区大学路88号院3号楼"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def fields_named(body) -> list[str]:
    return [error["field"].removeprefix("payload.") for error in body.get("errors", [])]


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", headers=headers)


def no_full_details(text: str, person: Person | None = None) -> None:
    for secret in (PHONE, ID_NUMBER, NAME, ADDRESS):
        assert secret not in text
    if person is not None:
        for secret in (person.phone, person.id_number, person.name):
            assert not secret or secret not in text


def demo_dispute(title_words: str) -> Dispute:
    return Dispute.objects.get(title__contains=title_words)


def a_case_awaiting_callback() -> Case:
    case = (
        Case.objects.filter(grid__code__startswith=LVDU_GRID1, state=State.VERIFIED)
        .exclude(reporter_phone_hash="")
        .order_by("pk")
        .first()
    )
    assert case is not None, "the demo has no case awaiting its callback in 绿都社区 grid 1"
    return case


def a_resident() -> Person:
    person = (
        Person.objects.filter(
            grid__code__startswith=LVDU_GRID1, status="active", household__isnull=False
        )
        .exclude(phone_hash="")
        .exclude(id_number_hash__isnull=True)
        .order_by("pk")
        .first()
    )
    assert person is not None
    return person


def new_dispute(client, case: Case | None = None, **extra) -> dict:
    person = a_resident()
    body = {
        "grid": LVDU_GRID1,
        "kind": "neighbour",
        "title": "楼上装修噪音纠纷",
        "facts": "楼上住户周末早上七点开始装修，影响休息。",
        "points": "装修时间",
        "source": "case" if case else "walk_in",
        "case": case.number if case else "",
        "mediators": [OFFICE, ME],
        "parties": [
            {"role": "applicant", "person_id": person.pk},
            {
                "role": "respondent",
                "name": NAME,
                "phone": PHONE,
                "id_number": ID_NUMBER,
                "address": ADDRESS,
            },
        ],
        **extra,
    }
    response = post(client, "/api/v1/disputes", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_the_demo_has_s8_settled_and_linked_to_its_case(as_user):
    case = story_case("S8")
    dispute = Dispute.objects.get(case=case)
    assert dispute.state == DisputeState.CLOSED
    assert (dispute.source, dispute.drive) == ("screening", "矛盾纠纷排查化解")
    assert dispute.campaign.title == DISPUTE_CAMPAIGN  # 观澜社区's screening drive
    drive = as_user("district").get(f"/campaigns/{dispute.campaign_id}/").content.decode()
    assert f"/disputes/{dispute.pk}/" in drive
    assert dispute.agreement.signed and "里屋" in dispute.agreement.terms
    applicant = dispute.parties.get(role="applicant")
    assert applicant.person is not None and applicant.person.name.startswith("李")
    follow_up = dispute.follow_ups.get()
    assert (follow_up.carried_out, follow_up.satisfied, follow_up.risk) == (True, True, False)
    assert case.state == State.CLOSED
    page = as_user("district").get(f"/cases/{case.pk}/").content.decode()
    assert f"/disputes/{dispute.pk}/" in page
    states = set(Dispute.objects.values_list("state", flat=True))
    assert {DisputeState.INTAKE, DisputeState.MEDIATING, DisputeState.REFERRED} <= states


def test_a_dispute_found_in_a_screening_drive_names_it(api_as):
    """A dispute taken in from a dispute screening campaign (矛盾纠纷排查) is linked to it; a
    campaign outside the caller's places, or one that is not a dispute screening, is refused
    naming the field, and nothing is written."""
    guanlan = Campaign.objects.get(title=DISPUTE_CAMPAIGN)
    far = api_as(FAR)
    person = Person.objects.filter(grid__code=GUANLAN_GRID1, status="active").first()
    body = {
        "grid": GUANLAN_GRID1,
        "kind": "neighbour",
        "title": "楼道堆物纠纷",
        "facts": "邻居在楼道堆放杂物，影响通行。",
        "campaign": guanlan.pk,
        "parties": [
            {"role": "applicant", "person_id": person.pk},
            {"role": "respondent", "name": NAME, "phone": PHONE},
        ],
    }
    made = post(far, "/api/v1/disputes", body)
    assert made.status_code == 201, made.content
    assert (made.json()["campaign_id"], made.json()["source"]) == (guanlan.pk, "screening")
    assert made.json()["drive"] == DISPUTE_CAMPAIGN
    before = Dispute.objects.count()
    mine = api_as(ME)  # 绿都社区: the 观澜 drive is not in their places
    refused = post(mine, "/api/v1/disputes", {**body, "grid": LVDU_GRID1})
    assert fields_named(assert_problem(refused, 400)) == ["campaign"]
    hazard = Campaign.objects.exclude(kind="dispute").first()
    refused = post(api_as("district"), "/api/v1/disputes", {**body, "campaign": hazard.pk})
    assert "campaign" in fields_named(assert_problem(refused, 400))
    assert Dispute.objects.count() == before


def test_a_dispute_from_a_case_leaves_the_case_its_loop(api_as, as_user):
    case = a_case_awaiting_callback()
    office = api_as(OFFICE)
    body = new_dispute(office, case)
    no_full_details(json.dumps(body, ensure_ascii=False), a_resident())
    assert body["case_number"] == case.number and body["state"] == "intake"
    respondent = body["parties"][1]
    assert respondent["name"] == "欧**" and respondent["phone"] == "139****5678"
    assert respondent["id_number"] == "410102********0018"
    case.refresh_from_db()
    assert case.state == State.VERIFIED  # the dispute changed nothing of the case

    # The case's page links its dispute; a second dispute from it is refused.
    page = as_user(OFFICE).get(f"/cases/{case.pk}/").content.decode()
    assert f"/disputes/{body['id']}/" in page
    again = post(office, "/api/v1/disputes", {**_body_of(body, case), "title": "再来一次"})
    assert fields_named(assert_problem(again, 400)) == ["case"]

    # The complainant's callback still closes the case.
    closed = post(office, f"/api/v1/cases/{case.pk}/actions/close", {"rating": "satisfied"})
    assert closed.status_code == 200, closed.content
    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert Dispute.objects.get(pk=body["id"]).case_id == case.pk


def _body_of(made: dict, case: Case) -> dict:
    return {
        "grid": LVDU_GRID1,
        "kind": "neighbour",
        "title": made["title"],
        "facts": "同上",
        "source": "case",
        "case": case.number,
        "parties": [
            {"role": "applicant", "name": "甲"},
            {"role": "respondent", "name": "乙"},
        ],
    }


def test_a_mediation_from_intake_to_follow_up_masked_everywhere(api_as, as_user):
    office, worker = api_as(OFFICE), api_as(ME)
    made = new_dispute(office)
    url = f"/api/v1/disputes/{made['id']}"
    parties = [party["id"] for party in made["parties"]]

    # The grid worker records the session; a retry with the same key records it once.
    key = uuid.uuid4().hex
    session = {
        "held_on": "2026-12-09",
        "place": "社区调解室",
        "record": "双方到场",
        "present": parties,
    }
    first = post(worker, f"{url}/sessions", session, **{"Idempotency-Key": key})
    again = post(worker, f"{url}/sessions", session, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert MediationSession.objects.filter(dispute_id=made["id"]).count() == 1
    assert office.get(url).json()["state"] == "mediating"

    # Grid workers record sessions, not outcomes.
    outcome = {
        "outcome": "agreed",
        "terms": "每天早八点前、晚六点后不装修",
        "performance": "自行履行",
        "deadline": "2026-12-31",
    }
    assert_problem(post(worker, f"{url}/outcome", outcome), 404)
    agreed = post(office, f"{url}/outcome", outcome)
    assert agreed.status_code == 200, agreed.content
    assert agreed.json()["agreement"]["terms"] == outcome["terms"]
    assert agreed.json()["state"] == "agreed"

    # The printed agreement: the details in full, for the office only, each opening recorded.
    page = as_user(ME).get(f"/disputes/{made['id']}/agreement/")
    assert page.status_code == 404
    page = as_user(OFFICE).get(f"/disputes/{made['id']}/agreement/")
    assert page.status_code == 200
    text = page.content.decode()
    assert NAME in text and ID_NUMBER in text and a_resident().name in text
    assert text.count('class="sheet"') == 3  # two parties, and the committee
    printed = AuditEvent.objects.filter(
        action="fieldwork.agreement.printed",
        target_id=str(Dispute.objects.get(pk=made["id"]).agreement.pk),
    )
    assert printed.count() == 1 and printed.get().actor.username == OFFICE

    signed = post(office, f"{url}/agreement/signed", {"signed_on": "2026-12-10"})
    assert signed.status_code == 200 and signed.json()["signed"] is True

    # The follow-up visit from the phone, one thumb: yes, yes, no.
    phone = as_user(ME)
    form = phone.get(f"/m/disputes/{made['id']}/").content.decode()
    assert 'name="carried_out"' in form
    answer = {
        "form": "follow_up",
        "key": uuid.uuid4().hex,
        "visited_on": "2026-12-10",
        "carried_out": "true",
        "satisfied": "true",
        "risk": "false",
        "note": "已履行",
    }
    assert phone.post(f"/m/disputes/{made['id']}/", answer).status_code == 302
    assert phone.post(f"/m/disputes/{made['id']}/", answer).status_code == 302
    assert FollowUp.objects.filter(dispute_id=made["id"]).count() == 1

    # Masked in every answer, page and export; and in the audit log.
    detail = office.get(url)
    no_full_details(detail.content.decode(), a_resident())
    assert len(detail.json()["follow_ups"]) == 1
    for client, path in [
        (as_user(OFFICE), f"/disputes/{made['id']}/"),
        (as_user(OFFICE), "/disputes/"),
        (as_user(ME), f"/m/disputes/{made['id']}/"),
        (as_user(ME), "/m/disputes/"),
        (as_user(OFFICE), "/export/disputes.csv"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        content = b"".join(response.streaming_content) if response.streaming else response.content
        text = content.decode("utf-8-sig")
        assert "欧**" in text, path
        no_full_details(text, a_resident())
    events = AuditEvent.objects.filter(action__startswith="fieldwork.")
    no_full_details(" ".join(f"{e.before} {e.after} {e.target_repr}" for e in events))
    assert events.filter(action="fieldwork.dispute.created", target_id=str(made["id"])).exists()


def test_outside_my_places_is_a_404(api_as, as_user):
    far = demo_dispute("卫生间漏水")  # 观澜社区
    near = demo_dispute("物业费")  # 绿都社区 grid 1
    for username, dispute in ((ME, far), (FAR, near)):
        client, page = api_as(username), as_user(username)
        url = f"/api/v1/disputes/{dispute.pk}"
        assert_problem(client.get(url), 404)
        session = {"held_on": "2026-12-09", "record": "x"}
        assert_problem(post(client, f"{url}/sessions", session), 404)
        follow = {"visited_on": "2026-12-09", "carried_out": True, "satisfied": True, "risk": False}
        assert_problem(post(client, f"{url}/follow-ups", follow), 404)
        assert_problem(post(client, f"{url}/outcome", {"outcome": "failed", "note": "x"}), 404)
        assert_problem(post(client, f"{url}/agreement/signed", {"signed_on": "2026-12-09"}), 404)
        assert_problem(post(client, f"{url}/close", {}), 404)
        for path in ("/disputes/{}/", "/disputes/{}/agreement/", "/m/disputes/{}/"):
            assert page.get(path.format(dispute.pk)).status_code == 404
        items = client.get("/api/v1/disputes", {"limit": 500}).json()["items"]
        assert dispute.pk not in {item["id"] for item in items}
    assert api_as(ME).get("/api/v1/disputes", {"grid": GUANLAN}).json()["count"] == 0
    body = {
        "grid": GUANLAN_GRID1,
        "kind": "neighbour",
        "title": "x",
        "facts": "x",
        "parties": [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}],
    }
    assert_problem(post(api_as(ME), "/api/v1/disputes", body), 404)
    assert api_as("partymember_lvdu").get("/api/v1/disputes").json()["count"] == 0


GOOD = {
    "grid": LVDU_GRID1,
    "kind": "neighbour",
    "title": "邻里纠纷",
    "facts": "事实",
    "source": "walk_in",
    "parties": [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}],
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"facts": "长" * 4001}, "facts"),
        ({"kind": "quarrel"}, "kind"),
        ({"source": "rumour"}, "source"),
        ({"source": "case"}, "case"),
        ({"case": "20269999999"}, "case"),
        ({"grid": "abc"}, "grid"),
        ({"mediators": ["nobody-here"]}, "mediators"),
        ({"parties": [{"role": "applicant", "name": "甲"}]}, "parties"),
        ({"parties": [{"role": "judge", "name": "甲"}]}, "parties.0.role"),
        (
            {"parties": [{"role": "applicant", "name": "甲", "phone": "12"}, GOOD["parties"][1]]},
            "parties.0.phone",
        ),
        (
            {
                "parties": [
                    {"role": "applicant", "name": "甲", "id_number": "410102198001010017"},
                    GOOD["parties"][1],
                ]
            },
            "parties.0.id_number",
        ),
        ({"parties": [{"role": "applicant"}, GOOD["parties"][1]]}, "parties.0.name"),
    ],
)
def test_bad_disputes_are_refused_naming_the_field(api_as, change, field):
    before = Dispute.objects.count()
    problem = assert_problem(post(api_as(OFFICE), "/api/v1/disputes", {**GOOD, **change}), 400)
    assert field in fields_named(problem), problem
    assert Dispute.objects.count() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("sessions", {"held_on": "2099-01-01", "record": "x"}, "held_on"),
        ("sessions", {"held_on": "2026-12-09", "record": ""}, "record"),
        ("sessions", {"held_on": "2026-12-09", "record": "x", "present": [1]}, "present"),
        ("outcome", {"outcome": "agreed"}, "terms"),
        ("outcome", {"outcome": "referred"}, "referred_to"),
        ("outcome", {"outcome": "failed"}, "note"),
        ("outcome", {"outcome": "won"}, "outcome"),
        (
            "follow-ups",
            {"visited_on": "2026-12-09", "carried_out": True, "satisfied": True, "risk": False},
            "state",
        ),
    ],
)
def test_bad_steps_are_refused_naming_the_field(api_as, path, body, field):
    dispute = demo_dispute("物业费")  # being mediated
    counts = (MediationSession.objects.count(), FollowUp.objects.count(), dispute.state)
    response = post(api_as(OFFICE), f"/api/v1/disputes/{dispute.pk}/{path}", body)
    assert field in fields_named(assert_problem(response, 400))
    dispute.refresh_from_db()
    assert (MediationSession.objects.count(), FollowUp.objects.count(), dispute.state) == counts


def test_a_risk_needs_a_note(api_as):
    dispute = demo_dispute("拖欠工资")  # referred on: a follow-up may be recorded
    body = {"visited_on": "2026-12-09", "carried_out": False, "satisfied": False, "risk": True}
    response = post(api_as(OFFICE), f"/api/v1/disputes/{dispute.pk}/follow-ups", body)
    assert fields_named(assert_problem(response, 400)) == ["note"]


def test_the_console_takes_a_dispute_in_with_a_party_from_the_register(as_user):
    page = as_user(ME)
    resident = a_resident()
    form = {
        "grid": LVDU_GRID1,
        "kind": page.get("/disputes/new/").context["form"].fields["kind"].queryset.first().pk,
        "title": "楼道堆物纠纷",
        "facts": "邻居在楼道堆放杂物",
        "source": "walk_in",
        "key": uuid.uuid4().hex,
        "p0-role": "applicant",
        "p0-register": resident.name,
        "p1-role": "respondent",
        "p1-register": "查无此人",
        "p2-role": "respondent",
    }
    refused = page.post("/disputes/new/", form)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "查无此人" in text and "楼道堆物纠纷" in text  # what was typed is kept
    form.update({"p1-register": "", "p1-name": NAME, "p1-phone": PHONE})
    made = page.post("/disputes/new/", form)
    assert made.status_code == 302, made.content.decode()[:2000]
    dispute = Dispute.objects.get(title="楼道堆物纠纷")
    applicant = dispute.parties.get(role="applicant")
    if Person.objects.filter(name=resident.name, grid__parent=resident.grid.parent).count() == 1:
        assert applicant.person_id == resident.pk
    detail = page.get(made["Location"]).content.decode()
    no_full_details(detail, resident)
    assert "139****5678" in detail


def test_bad_list_filters_are_400(api_as):
    problem = assert_problem(api_as(ME).get("/api/v1/disputes", {"state": "won"}), 400)
    assert fields_named(problem) == ["state"]
    items = api_as(OFFICE).get("/api/v1/disputes", {"mediator": "", "kind": "property"}).json()
    assert items["count"] >= 1 and {i["kind"] for i in items["items"]} == {"property"}


def test_signing_and_closing_refuse_what_does_not_fit(api_as):
    office = api_as(OFFICE)
    mediating = demo_dispute("物业费")
    url = f"/api/v1/disputes/{mediating.pk}"
    assert fields_named(assert_problem(post(office, f"{url}/close", {}), 400)) == ["state"]
    signed = post(office, f"{url}/agreement/signed", {"signed_on": "2026-12-09"})
    assert fields_named(assert_problem(signed, 400)) == ["agreement"]
    made = new_dispute(office)
    url = f"/api/v1/disputes/{made['id']}"
    assert post(office, f"{url}/outcome", {"outcome": "agreed", "terms": "道歉"}).status_code == 200
    future = post(office, f"{url}/agreement/signed", {"signed_on": "2099-01-01"})
    assert fields_named(assert_problem(future, 400)) == ["signed_on"]
    assert not Dispute.objects.get(pk=made["id"]).agreement.signed
    closed = post(office, f"{url}/close", {"note": "已履行"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_a_refused_session_keeps_what_was_typed(as_user):
    dispute = demo_dispute("物业费")
    page = as_user(ME)
    words = "双方再次到场，物业同意先修车库"
    response = page.post(
        f"/disputes/{dispute.pk}/session/",
        {"held_on": "2099-01-01", "record": words, "key": uuid.uuid4().hex},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert words in text and "日期不能晚于今天" in text
    assert dispute.sessions.count() == 1


def test_the_list_filters_by_state_and_mediator(as_user):
    page = as_user(OFFICE)
    text = page.get("/disputes/", {"state": "referred"}).content.decode()
    assert "装修工人追讨拖欠工资" in text and "业主拒交物业费" not in text
    staff = demo_dispute("拖欠工资").mediators.get()
    text = page.get("/disputes/", {"mediator": staff.display_name[-2:]}).content.decode()
    assert "装修工人追讨拖欠工资" in text
    text = page.get("/disputes/", {"mediator": "没有这个人"}).content.decode()
    assert "装修工人追讨拖欠工资" not in text
