"""Inspection campaigns (排查) through the API: campaigns (list, detail, create, open, close),
their teams, their checks (list, record with an ``Idempotency-Key``) and their coverage.

Everything is limited to the caller's places: a campaign, a team or a building outside them
is a 404. Bad input is a 400 naming the field (a checklist's answers by ``answers.<code>``).
"""

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.accounts.models import User
from wangge.core.api import Page, apply_filters
from wangge.core.errors import ValidationError
from wangge.core.filters import NodeRefField, clean_ref, node_by_code_or_id, query_schema
from wangge.fieldwork import campaigns as logic
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.filters import CampaignFilter, CheckFilter
from wangge.fieldwork.models import (
    Campaign,
    CampaignKind,
    CampaignState,
    CampaignTeam,
    Check,
    Checklist,
    CheckResult,
)
from wangge.territory.models import Building, Dwelling, Node

router = Router(tags=["inspection campaigns"])

CampaignQuery = query_schema(CampaignFilter, "CampaignQuery")
CheckQuery = query_schema(CheckFilter, "CheckQuery")


class ChecklistQuestionOut(Schema):
    code: str
    label: str
    kind: str
    required: bool
    choices: list[dict]
    hazard_values: list = Field(description="the answers that reveal a hazard (none: never)")
    category: str = Field(description="the code of the category of the case a hazard opens")


class ChecklistOut(Schema):
    code: str
    name: str
    kind: str
    description: str
    questions: list[ChecklistQuestionOut]


class CampaignOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    checklist: str
    checklist_name: str
    place_code: str
    place_name: str
    starts_on: datetime.date
    ends_on: datetime.date
    state: str
    state_label: str
    note: str
    created_by: str
    created_at: datetime.datetime
    opened_at: datetime.datetime | None
    closed_at: datetime.datetime | None


class CampaignTeamOut(Schema):
    id: int
    grid_code: str
    grid_name: str
    leader: str | None = Field(description="the leader's user name")
    leader_name: str
    members: list[str] = Field(description="user names")
    member_names: list[str]


class GridCoverageOut(Schema):
    grid_code: str
    grid_name: str
    buildings: int
    checked: int
    hazards: int
    todo: int
    percent: int


class BuildingCoverageOut(Schema):
    id: int
    name: str
    grid_code: str
    grid_name: str
    status: str = Field(description="todo (not yet checked), ok or hazard")
    checks: int
    point: list[float] | None


class CampaignCoverageOut(Schema):
    buildings: int
    checked: int
    hazards: int
    todo: int
    percent: int
    grids: list[GridCoverageOut]
    items: list[BuildingCoverageOut]


class CampaignDetail(CampaignOut):
    questions: list[ChecklistQuestionOut]
    teams: list[CampaignTeamOut]
    coverage: GridCoverageOut
    cases: int
    cases_open: int


class CheckOut(Schema):
    id: int
    campaign_id: int
    grid_code: str
    grid_name: str
    building_id: int | None
    building_name: str
    dwelling_id: int | None
    place_name: str
    lng: float | None
    lat: float | None
    checked_by: str
    checked_at: datetime.datetime
    answers: dict
    result: str
    result_label: str
    hazards: list[str]
    note: str
    cases: list[dict] = Field(description="the cases opened: id, number, state")
    photos: int


class CampaignIn(Schema):
    title: str = Field(max_length=100)
    checklist: str = Field(description="a checklist's code, e.g. before-blizzard")
    place: str = Field(description="a community's or street's code (or id)")
    starts_on: datetime.date
    ends_on: datetime.date
    kind: str = Field("", description="hazard or dispute (default: the checklist's)")
    note: str = Field("", max_length=2000)


class TeamIn(Schema):
    members: list[str] = Field(description="user names (or ids) of people of the place")
    leader: str | None = Field(None, description="a member's user name (or id)")


class CampaignCheckIn(Schema):
    building: int | None = Field(None, description="the building checked (its id)")
    dwelling: int | None = Field(None, description="a dwelling of it, when one was checked")
    place_name: str = Field("", max_length=100, description="a public place, with lng/lat")
    lng: float | None = None
    lat: float | None = None
    answers: dict = Field(description="answers by question code")
    note: str = Field("", max_length=2000)
    checked_at: datetime.datetime | None = None


def _question_rows(form) -> list[dict]:
    return [
        {
            "code": question.code,
            "label": question.label,
            "kind": question.kind,
            "required": question.required,
            "choices": question.choices or [],
            "hazard_values": rule.values if rule else [],
            "category": rule.category_code if rule else "",
        }
        for question, rule in logic.questions_with_rules(form)
    ]


def _name(user) -> str:
    return user.name if user else ""


def campaign_out(campaign: Campaign) -> dict:
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "kind": campaign.kind,
        "kind_label": str(CampaignKind(campaign.kind).label),
        "checklist": campaign.checklist.code,
        "checklist_name": campaign.checklist.name,
        "place_code": campaign.node.code,
        "place_name": campaign.node.name,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "state": campaign.state,
        "state_label": str(CampaignState(campaign.state).label),
        "note": campaign.note,
        "created_by": _name(campaign.created_by),
        "created_at": campaign.created_at,
        "opened_at": campaign.opened_at,
        "closed_at": campaign.closed_at,
    }


def team_out(team: CampaignTeam) -> dict:
    members = sorted(team.members.all(), key=lambda user: user.username)
    return {
        "id": team.pk,
        "grid_code": team.grid.code,
        "grid_name": team.grid.name,
        "leader": team.leader.username if team.leader_id else None,
        "leader_name": _name(team.leader),
        "members": [user.username for user in members],
        "member_names": [_name(user) for user in members],
    }


def grid_out(entry) -> dict:
    return {
        "grid_code": entry.code,
        "grid_name": entry.name,
        "buildings": entry.buildings,
        "checked": entry.checked,
        "hazards": entry.hazards,
        "todo": entry.todo,
        "percent": entry.percent,
    }


def check_out(check: Check) -> dict:
    building = check.building
    return {
        "id": check.pk,
        "campaign_id": check.campaign_id,
        "grid_code": check.grid.code,
        "grid_name": check.grid.name,
        "building_id": check.building_id,
        "building_name": f"{building.compound}{building.name}" if building else "",
        "dwelling_id": check.dwelling_id,
        "place_name": check.place_name,
        "lng": check.lng,
        "lat": check.lat,
        "checked_by": _name(check.checked_by),
        "checked_at": check.checked_at,
        "answers": check.answers,
        "result": check.result,
        "result_label": str(CheckResult(check.result).label),
        "hazards": check.hazards,
        "note": check.note,
        "cases": [
            {"id": case.pk, "number": case.number, "state": case.state}
            for case in check.cases.all()
        ],
        "photos": len(check.photos.all()),
    }


def _campaigns(request):
    return Campaign.objects.restrict(request.user, "view").select_related(
        "node", "checklist", "created_by"
    )


def _campaign(request, campaign_id: int) -> Campaign:
    return get_object_or_404(_campaigns(request), pk=campaign_id)


def _user(value: str, field: str) -> User:
    condition = {"pk": int(value)} if str(value).isdigit() else {"username": value}
    user = User.objects.filter(**condition, is_active=True).first()
    if user is None:
        raise ValidationError({field: gettext("No such person: %(who)s") % {"who": value}})
    return user


@router.get("/checklists", response=list[ChecklistOut])
def list_checklists(request):
    """The checklist templates a campaign is made from (standards kept as data), each with
    its questions and the answers that reveal a hazard."""
    return [
        {
            "code": checklist.code,
            "name": checklist.name,
            "kind": checklist.kind,
            "description": checklist.description,
            "questions": _question_rows(checklist.form),
        }
        for checklist in Checklist.objects.filter(is_active=True).select_related("form")
    ]


@router.get("/campaigns", response=list[CampaignOut])
@paginate(Page)
def list_campaigns(request, filters: Query[CampaignQuery]):
    """The campaigns in (and over) the caller's places, newest first: filter by ``state``,
    ``kind``, ``node`` (a place: campaigns in it and over it), ``q`` (words of the title)."""
    rows = apply_filters(CampaignFilter, filters, _campaigns(request), request)
    return [campaign_out(campaign) for campaign in rows]


@router.post("/campaigns", response={201: CampaignDetail})
def create_campaign(
    request,
    payload: CampaignIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """A campaign in a community or street, from a checklist template; one team per grid
    (its grid workers) is made with it. It starts as a draft: open it for the teams."""
    place = clean_ref("place", payload.place, NodeRefField(required=True))
    node = node_by_code_or_id(Node.objects.restrict(request.user, "view"), place)
    if node is None:
        raise Http404("place")
    checklist = Checklist.objects.filter(code=payload.checklist, is_active=True).first()
    if checklist is None:
        raise ValidationError({"checklist": gettext("No such checklist")})
    campaign = fieldwork.create_campaign(
        actor=request.user,
        title=payload.title,
        checklist=checklist,
        node=node,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        kind=payload.kind,
        note=payload.note,
        idempotency_key=idempotency_key,
    )
    return Status(201, detail(request, campaign))


def detail(request, campaign: Campaign) -> dict:
    campaign = _campaign(request, campaign.pk)
    cover = logic.coverage(campaign, request.user, with_buildings=False)
    found = logic.findings(campaign, request.user)
    teams = (
        CampaignTeam.objects.restrict(request.user, "view")
        .filter(campaign=campaign)
        .select_related("grid", "leader")
        .prefetch_related("members")
    )
    return {
        **campaign_out(campaign),
        "questions": _question_rows(campaign.checklist.form),
        "teams": [team_out(team) for team in teams],
        "coverage": grid_out(cover.total),
        "cases": found.cases,
        "cases_open": found.cases_open,
    }


@router.get("/campaigns/{campaign_id}", response=CampaignDetail)
def get_campaign(request, campaign_id: int):
    """A campaign: its checklist's questions, teams, coverage and the cases it opened."""
    return detail(request, _campaign(request, campaign_id))


@router.post("/campaigns/{campaign_id}/open", response=CampaignDetail)
def open_campaign(request, campaign_id: int):
    """Open a draft (or reopen a closed campaign): the teams may record checks."""
    campaign = fieldwork.open_campaign(actor=request.user, campaign=_campaign(request, campaign_id))
    return detail(request, campaign)


@router.post("/campaigns/{campaign_id}/close", response=CampaignDetail)
def close_campaign(request, campaign_id: int):
    """Close an open campaign; the cases it opened are still followed."""
    campaign = fieldwork.close_campaign(
        actor=request.user, campaign=_campaign(request, campaign_id)
    )
    return detail(request, campaign)


@router.get("/campaigns/{campaign_id}/teams", response=list[CampaignTeamOut])
def list_campaign_teams(request, campaign_id: int):
    """The campaign's teams in the caller's places, one per grid."""
    campaign = _campaign(request, campaign_id)
    teams = (
        CampaignTeam.objects.restrict(request.user, "view")
        .filter(campaign=campaign)
        .select_related("grid", "leader")
        .prefetch_related("members")
    )
    return [team_out(team) for team in teams]


@router.put("/campaigns/{campaign_id}/teams/{team_id}", response=CampaignTeamOut)
def set_campaign_team(request, campaign_id: int, team_id: int, payload: TeamIn):
    """Who checks a grid: its members (people of the campaign's place) and leader."""
    campaign = _campaign(request, campaign_id)
    team = get_object_or_404(
        CampaignTeam.objects.restrict(request.user, "view").filter(campaign=campaign),
        pk=team_id,
    )
    members = [_user(value, "members") for value in payload.members]
    leader = _user(payload.leader, "leader") if payload.leader else None
    team = fieldwork.set_team(actor=request.user, team=team, members=members, leader=leader)
    return team_out(
        CampaignTeam.objects.restrict(request.user, "view")
        .select_related("grid", "leader")
        .prefetch_related("members")
        .get(pk=team.pk)
    )


def _checks(request, campaign: Campaign):
    return (
        Check.objects.restrict(request.user, "view")
        .filter(campaign=campaign)
        .select_related("grid", "building", "checked_by")
        .prefetch_related("cases", "photos")
    )


@router.get("/campaigns/{campaign_id}/checks", response=list[CheckOut])
@paginate(Page)
def list_campaign_checks(request, campaign_id: int, filters: Query[CheckQuery]):
    """The campaign's checks in the caller's places, newest first: filter by ``grid``,
    ``result`` (ok, hazard) and ``q`` (a building's or place's name)."""
    campaign = _campaign(request, campaign_id)
    rows = apply_filters(CheckFilter, filters, _checks(request, campaign), request)
    return [check_out(check) for check in rows]


@router.post("/campaigns/{campaign_id}/checks", response={201: CheckOut})
def create_check(
    request,
    campaign_id: int,
    payload: CampaignCheckIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Record a check: a building (or a dwelling of it, or a public place with its
    position) against the campaign's checklist. Answers are by question code; an answer that
    reveals a hazard opens a case in its category at once. A retry with the same
    ``Idempotency-Key`` returns the first check."""
    campaign = _campaign(request, campaign_id)
    building = dwelling = None
    if payload.building is not None:
        building = get_object_or_404(
            Building.objects.restrict(request.user, "view").select_related("grid"),
            pk=payload.building,
        )
    if payload.dwelling is not None:
        dwelling = get_object_or_404(
            Dwelling.objects.restrict(request.user, "view").select_related("building__grid"),
            pk=payload.dwelling,
        )
    check = fieldwork.record_check(
        actor=request.user,
        campaign=campaign,
        answers=payload.answers,
        building=building,
        dwelling=dwelling,
        place_name=payload.place_name,
        lng=payload.lng,
        lat=payload.lat,
        note=payload.note,
        checked_at=payload.checked_at,
        idempotency_key=idempotency_key,
    )
    return Status(201, check_out(get_object_or_404(_checks(request, campaign), pk=check.pk)))


@router.get("/campaigns/{campaign_id}/coverage", response=CampaignCoverageOut)
def get_campaign_coverage(request, campaign_id: int):
    """Every building of the register in the campaign's place (that the caller sees):
    checked, with a hazard found, or not yet; and per grid, the counts and percentage."""
    campaign = _campaign(request, campaign_id)
    cover = logic.coverage(campaign, request.user)
    total = cover.total
    return {
        "buildings": total.buildings,
        "checked": total.checked,
        "hazards": total.hazards,
        "todo": total.todo,
        "percent": total.percent,
        "grids": [grid_out(entry) for entry in cover.grids],
        "items": cover.buildings,
    }
