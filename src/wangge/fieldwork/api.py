"""Field work through the API: visit plans (who is due a visit) and the visit rules.

Lists are limited to the caller's places (a 404 outside them); plans name the person and their
care tag, and are shown to those who may see care tags: grid workers, grid leaders, offices.
"""

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.core.api import Page, apply_filters
from wangge.core.errors import ValidationError
from wangge.core.filters import NodeRefField, clean_ref, node_by_code_or_id, query_schema
from wangge.fieldwork import plans
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.filters import VisitPlanFilter
from wangge.fieldwork.models import PlanState, VisitPlan, VisitRule
from wangge.people.models import CareTag
from wangge.territory.models import Node

router = Router(tags=["field work"])

VisitPlanQuery = query_schema(VisitPlanFilter, "VisitPlanQuery")


class VisitPlanOut(Schema):
    id: int
    person_id: int
    person_name: str = Field(alias="person.name")
    grid_id: int = Field(alias="person.grid_id")
    grid_code: str = Field(alias="person.grid.code")
    grid_name: str = Field(alias="person.grid.name")
    household_id: int | None = Field(alias="person.household_id")
    household_number: str
    tag: str = Field(
        alias="tag.code", description="the code of the care tag whose rule set the plan"
    )
    tag_name: str = Field(alias="tag.name")
    every_days: int
    window_days: int
    last_visit_at: datetime.datetime | None
    due_on: datetime.date
    overdue_on: datetime.date = Field(description="late after this day")
    state: str = Field(description="planned, due or overdue, today")
    state_label: str

    @staticmethod
    def resolve_household_number(plan):
        return plan.person.household.number if plan.person.household_id else ""

    @staticmethod
    def resolve_state(plan):
        return plan.state_on(plans.today())

    @staticmethod
    def resolve_state_label(plan):
        return str(PlanState(plan.state_on(plans.today())).label)


class VisitRuleOut(Schema):
    id: int
    place: str | None = Field(description="the code of its place; null for the defaults")
    place_name: str
    tag: str
    tag_name: str
    min_age: int | None
    max_disability_grade: int | None
    every_days: int
    window_days: int
    note: str
    in_force: bool = Field(
        description="whether it holds at the place asked about (a default for a tag the place "
        "has rules of its own for does not)"
    )


class VisitRuleIn(Schema):
    place: str = Field(description="a street's or community's code (or the district's)")
    tag: str = Field(description="a care tag's code, e.g. living_alone")
    every_days: int = Field(description="a visit every so many days (1–366)")
    window_days: int = Field(0, description="days of grace after the due day (0–90)")
    min_age: int | None = Field(None, description="holds only from this age")
    max_disability_grade: int | None = Field(
        None, description="holds only up to this disability grade (1 is the most severe)"
    )
    note: str = Field("", max_length=200)


def _plans(request):
    return VisitPlan.objects.restrict(request.user, "view").select_related(
        "person__grid", "person__household", "tag"
    )


def _place(request, value: str, name: str = "place") -> Node:
    value = clean_ref(name, value, NodeRefField(required=True))
    node = node_by_code_or_id(Node.objects.restrict(request.user, "view"), value)
    if node is None:
        raise Http404(name)
    return node


def _rule_out(rule, in_force: bool) -> dict:
    return {
        "id": rule.pk,
        "place": rule.node.code if rule.node_id else None,
        "place_name": rule.node.name if rule.node_id else "",
        "tag": rule.tag.code,
        "tag_name": rule.tag.name,
        "min_age": rule.min_age,
        "max_disability_grade": rule.max_disability_grade,
        "every_days": rule.every_days,
        "window_days": rule.window_days,
        "note": rule.note,
        "in_force": in_force,
    }


@router.get("/visit-plans", response=list[VisitPlanOut])
@paginate(Page)
def list_visit_plans(request, filters: Query[VisitPlanQuery]):
    """Who is due a visit (走访) in the caller's places, soonest first: filter by ``state``
    (planned, due, overdue — as of today), ``due=true`` (due or overdue), ``grid`` (a grid or
    division: its whole subtree), ``tag`` (a care tag's code) and ``q`` (a name)."""
    return apply_filters(VisitPlanFilter, filters, _plans(request), request)


@router.get("/visit-plans/{plan_id}", response=VisitPlanOut)
def get_visit_plan(request, plan_id: int):
    """One person's plan."""
    return get_object_or_404(_plans(request), pk=plan_id)


@router.get("/visit-rules", response=list[VisitRuleOut])
def list_visit_rules(request, place: str):
    """The rules at a place (a street's or community's code): the defaults and the rules of
    the place and the places above it, each saying whether it holds there."""
    node = _place(request, place)
    return [_rule_out(rule, in_force) for rule, in_force in plans.rules_at(node)]


@router.post("/visit-rules", response={201: VisitRuleOut, 200: VisitRuleOut})
def set_visit_rule(request, payload: VisitRuleIn):
    """Set a place's own rule for a care tag (made, or changed if the place has one for the
    same tag, age and grade): it replaces the defaults for that tag there, and the plans of
    the people it touches follow at once."""
    node = _place(request, payload.place)
    tag = CareTag.objects.filter(code=payload.tag, is_active=True).first()
    if tag is None:
        raise ValidationError({"tag": gettext("No such care tag")})
    rule, made = fieldwork.set_visit_rule(
        actor=request.user,
        node=node,
        tag=tag,
        every_days=payload.every_days,
        window_days=payload.window_days,
        min_age=payload.min_age,
        max_disability_grade=payload.max_disability_grade,
        note=payload.note,
    )
    return Status(201 if made else 200, _rule_out(rule, True))


@router.delete("/visit-rules/{rule_id}", response={204: None})
def remove_visit_rule(request, rule_id: int):
    """Remove a place's own rule: the defaults (or the rules above) hold there again."""
    rule = get_object_or_404(
        VisitRule.objects.restrict(request.user, "view").select_related("node"), pk=rule_id
    )
    fieldwork.remove_visit_rule(actor=request.user, rule=rule)
    return Status(204, None)
