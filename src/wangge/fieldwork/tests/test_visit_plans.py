"""Visit plans (走访): who is due a visit, from care tags and rules kept as data, followed as
the register changes; through the API as the demo's people."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU, LVDU_GRID1
from wangge.fieldwork import plans
from wangge.fieldwork.models import PlanState, VisitPlan, VisitRule
from wangge.people import services as people
from wangge.people.choices import PersonStatus
from wangge.people.models import CareTag, Person, PersonTag
from wangge.people.services import TagSpec

pytestmark = pytest.mark.django_db

ME = "gridworker_lvdu1"
OFFICE = "community_lvdu"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def fields_named(body) -> list[str]:
    return [error["field"].removeprefix("payload.") for error in body.get("errors", [])]


def listed(client, url, **params):
    response = client.get(url, {"limit": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def tagged_in(prefix: str):
    return Person.objects.filter(
        grid__code__startswith=prefix, status=PersonStatus.ACTIVE, tag_links__isnull=False
    ).distinct()


def a_person_without_tags(prefix: str) -> Person:
    person = (
        Person.objects.filter(
            grid__code__startswith=prefix,
            status=PersonStatus.ACTIVE,
            tag_links__isnull=True,
            household__isnull=False,
        )
        .order_by("pk")
        .first()
    )
    assert person is not None
    return person


def test_the_demo_plans_a_visit_for_everyone_with_a_care_tag():
    tagged = set(tagged_in("410102").values_list("pk", flat=True))
    planned = set(VisitPlan.objects.values_list("person_id", flat=True))
    assert tagged and planned == tagged
    day = plans.today()
    states = {plan.state_on(day) for plan in VisitPlan.objects.all()}
    assert {PlanState.OVERDUE, PlanState.PLANNED} <= states


def test_the_lists_state_matches_each_plans_own_state(api_as):
    items = listed(api_as(ME), "/api/v1/visit-plans")
    mine = set(tagged_in(LVDU_GRID1).values_list("pk", flat=True))
    assert {item["person_id"] for item in items} == mine
    by_id = {plan.pk: plan for plan in VisitPlan.objects.filter(person_id__in=mine)}
    day = plans.today()
    for item in items:
        assert item["state"] == by_id[item["id"]].state_on(day)
        assert item["grid_code"].startswith(LVDU_GRID1)
    dues = [item["due_on"] for item in items]
    assert dues == sorted(dues)
    overdue = listed(api_as(ME), "/api/v1/visit-plans", state="overdue")
    assert overdue and {item["state"] for item in overdue} == {"overdue"}
    now = listed(api_as(ME), "/api/v1/visit-plans", due="true")
    assert {item["id"] for item in now} == {
        item["id"] for item in items if item["state"] in {"due", "overdue"}
    }


def test_state_on_a_day_and_in_a_query_agree():
    plan = VisitPlan.objects.order_by("pk").first()
    plan.due_on = datetime.date(2026, 12, 10)
    plan.overdue_on = datetime.date(2026, 12, 12)
    plan.save()
    for offset in range(-2, 5):
        day = plan.due_on + datetime.timedelta(days=offset)
        matching = [
            state
            for state in PlanState.values
            if VisitPlan.objects.filter(plans.state_q(state, day), pk=plan.pk).exists()
        ]
        assert matching == [plan.state_on(day)], day


def test_a_care_tag_given_plans_a_first_visit_and_a_visit_moves_it(api_as):
    person = a_person_without_tags(LVDU_GRID1)
    living_alone = CareTag.objects.get(code="living_alone")
    people.set_care_tags(actor=None, person=person, tags=[TagSpec(tag=living_alone)])
    plan = VisitPlan.objects.get(person=person)
    assert plan.due_on == plans.today() and plan.state_on(plans.today()) == PlanState.DUE

    response = api_as(ME).post(
        "/api/v1/visits",
        {"household_id": person.household_id, "kind": "home", "notes": "认门"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    plan.refresh_from_db()
    assert plan.last_visit_at is not None
    assert plan.due_on == timezone.localdate(plan.last_visit_at) + datetime.timedelta(
        days=plan.every_days
    )
    assert plan.state_on(plans.today()) == PlanState.PLANNED

    people.set_care_tags(actor=None, person=person, tags=[])
    assert not VisitPlan.objects.filter(person=person).exists()


def test_the_most_frequent_rule_that_holds_sets_the_plan():
    person = a_person_without_tags(LVDU_GRID1)
    person.birth_date = plans.today().replace(year=plans.today().year - 85)
    person.save()
    tags = [
        TagSpec(tag=CareTag.objects.get(code="empty_nest")),
        TagSpec(tag=CareTag.objects.get(code="living_alone")),
    ]
    people.set_care_tags(actor=None, person=person, tags=tags)
    plan = VisitPlan.objects.get(person=person)
    assert (plan.tag.code, plan.every_days, plan.window_days) == ("living_alone", 7, 2)


def test_a_community_sets_its_own_rule_and_takes_it_back(api_as):
    office = api_as(OFFICE)
    alone = VisitPlan.objects.filter(tag__code="living_alone", rule__min_age__isnull=True)
    here = alone.filter(person__grid__code__startswith=LVDU)
    elsewhere = alone.exclude(person__grid__code__startswith=LVDU)
    assert here.exists() and elsewhere.exists()
    before_elsewhere = {plan.pk: plan.every_days for plan in elsewhere}

    response = office.post(
        "/api/v1/visit-rules",
        {
            "place": LVDU,
            "tag": "living_alone",
            "every_days": 14,
            "window_days": 3,
            "note": "本社区独居老人两周一访",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    rule = VisitRule.objects.get(pk=response.json()["id"])
    assert AuditEvent.objects.filter(action="fieldwork.visitrule.created", target_id=str(rule.pk))
    ours = VisitPlan.objects.filter(person__grid__code__startswith=LVDU, tag__code="living_alone")
    assert ours.exists() and {plan.every_days for plan in ours} == {14}
    assert {plan.pk: plan.every_days for plan in elsewhere} == before_elsewhere

    rules = office.get("/api/v1/visit-rules", {"place": LVDU_GRID1}).json()
    alone_rules = [r for r in rules if r["tag"] == "living_alone"]
    assert {(r["place"], r["in_force"]) for r in alone_rules} == {
        (None, False),
        (LVDU, True),
    }

    again = office.post(
        "/api/v1/visit-rules",
        {"place": LVDU, "tag": "living_alone", "every_days": 10},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["id"] == rule.pk

    gone = office.delete(f"/api/v1/visit-rules/{rule.pk}")
    assert gone.status_code == 204
    assert not VisitRule.objects.filter(pk=rule.pk).exists()
    assert {plan.every_days for plan in ours.filter(rule__min_age__isnull=True)} == {30}


def test_outside_my_places_is_a_404(api_as):
    outside = VisitPlan.objects.filter(person__grid__code__startswith=GUANLAN_GRID1).first()
    assert outside is not None
    assert_problem(api_as(ME).get(f"/api/v1/visit-plans/{outside.pk}"), 404)
    assert listed(api_as(ME), "/api/v1/visit-plans", grid=GUANLAN_GRID1) == []
    office = api_as(OFFICE)
    payload = {"place": GUANLAN_GRID1[:12], "tag": "living_alone", "every_days": 14}
    assert_problem(
        office.post("/api/v1/visit-rules", payload, content_type="application/json"), 404
    )
    assert_problem(office.get("/api/v1/visit-rules", {"place": GUANLAN_GRID1[:12]}), 404)


def test_a_grid_worker_sees_the_rules_but_may_not_change_them(api_as):
    worker = api_as(ME)
    assert worker.get("/api/v1/visit-rules", {"place": LVDU_GRID1}).status_code == 200
    payload = {"place": LVDU, "tag": "living_alone", "every_days": 14}
    assert_problem(
        worker.post("/api/v1/visit-rules", payload, content_type="application/json"), 404
    )
    assert not VisitRule.objects.filter(node__code=LVDU).exists()


def test_building_heads_and_party_members_see_no_plans(api_as):
    assert listed(api_as("partymember_lvdu"), "/api/v1/visit-plans") == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"every_days": 0}, "every_days"),
        ({"every_days": 400}, "every_days"),
        ({"window_days": -1}, "window_days"),
        ({"min_age": 200}, "min_age"),
        ({"max_disability_grade": 9}, "max_disability_grade"),
        ({"tag": "nobody"}, "tag"),
        ({"place": LVDU_GRID1}, "node"),
        ({"note": "长" * 201}, "note"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(api_as, payload, field):
    body = {"place": LVDU, "tag": "living_alone", "every_days": 14, **payload}
    response = api_as(OFFICE).post("/api/v1/visit-rules", body, content_type="application/json")
    problem = assert_problem(response, 400)
    assert fields_named(problem) == [field]
    assert not VisitRule.objects.filter(node__isnull=False).exists()


@pytest.mark.parametrize(("params", "field"), [({"state": "soon"}, "state"), ({"tag": "x"}, "tag")])
def test_bad_list_filters_are_400(api_as, params, field):
    problem = assert_problem(api_as(ME).get("/api/v1/visit-plans", params), 400)
    assert fields_named(problem) == [field]


def test_recompute_all_keeps_what_the_events_wrote():
    before = {
        (plan.person_id, plan.due_on, plan.every_days, plan.rule_id)
        for plan in VisitPlan.objects.all()
    }
    plans.recompute()
    after = {
        (plan.person_id, plan.due_on, plan.every_days, plan.rule_id)
        for plan in VisitPlan.objects.all()
    }
    assert after == before
    assert PersonTag.objects.exists()


def test_a_default_rule_changed_in_the_administration_moves_the_plans_it_sets(
    as_user, django_capture_on_commit_callbacks
):
    """系统管理 → 走访规则: the district's administrator changes how often people living alone
    are visited by default; the save is audited and every plan that rule sets follows."""
    rule = VisitRule.objects.get(node=None, tag__code="living_alone", min_age__isnull=True)
    admin = as_user("district")
    page = admin.get(f"/admin/fieldwork/visitrule/{rule.pk}/change/")
    assert page.status_code == 200
    form = {
        "node": "",
        "tag": rule.tag_id,
        "min_age": "",
        "max_disability_grade": "",
        "every_days": 21,
        "window_days": rule.window_days,
        "note": "全区独居老人三周一访",
        "is_active": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/fieldwork/visitrule/{rule.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert AuditEvent.objects.filter(
        action="fieldwork.visitrule.updated", target_id=str(rule.pk), reason="admin"
    ).exists()
    follows = VisitPlan.objects.filter(rule=rule)
    assert follows.exists() and {plan.every_days for plan in follows} == {21}

    refused = admin.post(f"/admin/fieldwork/visitrule/{rule.pk}/change/", form | {"every_days": 0})
    assert refused.status_code == 200  # the form again, with the field named
    assert "every_days" in refused.context["adminform"].form.errors
    assert as_user(OFFICE).get(f"/admin/fieldwork/visitrule/{rule.pk}/change/").status_code == 302
