"""The grid team and its errands (帮办代办) through the API.

``/grid-team``: the members of the grid teams in the caller's places (and, for context, the
helpers on their community), with their buildings, open errands and service hours; buildings
given and taken back. ``/care-requests``: errands raised, given to a helper, accepted, done,
rated, cancelled. Lists are ``{count, items}`` within the caller's places; anything outside is
a 404; a helper sees the errands given to them. The person's number never leaves with an
errand; their name is masked for a helper who may not read the register.
"""

import datetime

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.accounts.models import Membership, User
from wangge.core import inputs
from wangge.core.api import Page, Presented, apply_filters
from wangge.core.errors import ValidationError
from wangge.core.filters import as_id, query_schema
from wangge.fieldwork import errands as shown
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork import team
from wangge.fieldwork.filters import CareRequestFilter, TeamFilter
from wangge.fieldwork.models import (
    CareRequest,
    ErrandKind,
    ErrandSource,
    TeamDuty,
)
from wangge.people.models import Person, Visit
from wangge.territory.models import Building

router = Router(tags=["grid team and errands"])

TeamQuery = query_schema(TeamFilter, "TeamQuery")
CareRequestQuery = query_schema(CareRequestFilter, "CareRequestQuery")


# --- Schemas -------------------------------------------------------------------------------------


class BuildingBrief(Schema):
    id: int
    name: str


class MonthMinutes(Schema):
    month: str = Field(description="YYYY-MM, local time")
    minutes: int
    hours: str


class TeamMemberOut(Schema):
    id: int = Field(description="the membership's id")
    user_id: int
    username: str
    name: str
    role: str
    role_label: str
    place: str = Field(description="the code of the place the role is held on")
    place_name: str
    phone: str = Field(description="masked")
    buildings: list[BuildingBrief]
    open_errands: int = Field(description="errands given to them and not yet done")
    minutes_this_month: int
    hours_this_month: str
    service: list[MonthMinutes] = Field(description="minutes of errands done, by month")


class BuildingIn(Schema):
    building: int = Field(description="the building's id")


class ErrandKindOut(Schema):
    code: str
    name: str
    description: str


class CareRequestOut(Schema):
    id: int
    person_id: int
    person_name: str = Field(description="masked for a helper who may not read the register")
    address: str
    grid: str
    grid_name: str
    kind: str
    kind_name: str
    description: str
    source: str
    state: str
    state_label: str
    wanted_by: datetime.date | None
    raised_at: datetime.datetime
    raised_by: str
    helper_id: int | None
    helper: str
    assigned_at: datetime.datetime | None
    accepted_at: datetime.datetime | None
    done_at: datetime.datetime | None
    minutes: int | None
    done_note: str
    has_photo: bool
    rating: int | None
    rating_words: str
    rating_way: str
    rated_by: str
    rated_at: datetime.datetime | None
    cancel_reason: str


class CareRequestIn(Schema):
    person: int = Field(description="the person's id (the console picks them by name)")
    kind: str = Field(description="a kind of errand's code (GET /errand-kinds)")
    description: str = inputs.field(CareRequest, "description")
    source: str = Field(ErrandSource.PERSON, description="person, family, visit or staff")
    wanted_by: datetime.date | None = None
    visit: int | None = Field(None, description="the visit that found the need")


class AssignIn(Schema):
    helper: str = Field(description="a team member's user name or id")
    note: str = Field("", max_length=inputs.NOTE)


class DoneIn(Schema):
    minutes: int = Field(description="minutes spent (1–1440): the helper's service hours")
    note: str = inputs.field(CareRequest, "done_note", description="what was done")
    done_at: datetime.datetime | None = Field(None, description="when; now if not given")


class RateIn(Schema):
    rating: int = Field(description="1 (poor) to 5 (very good)")
    words: str = inputs.field(CareRequest, "rating_words")
    way: str = Field(description="in_person (told the helper) or callback (told staff)")


class ErrandCancelIn(Schema):
    reason: str = inputs.field(CareRequest, "cancel_reason")


# --- The team ------------------------------------------------------------------------------------


def _member_out(membership, fact) -> dict:
    months = sorted(fact["months"].items())
    return {
        "id": membership.pk,
        "user_id": membership.user_id,
        "username": membership.user.username,
        "name": membership.user.name,
        "role": membership.role,
        "role_label": str(membership.get_role_display()),
        "place": membership.node.code,
        "place_name": membership.node.name,
        "phone": fact["phone"],
        "buildings": [
            {"id": pk, "name": name}
            for pk, name in zip(fact["building_ids"], fact["buildings"], strict=True)
        ],
        "open_errands": fact["open"],
        "minutes_this_month": fact["month_minutes"],
        "hours_this_month": team.hours(fact["month_minutes"]),
        "service": [
            {"month": month, "minutes": minutes, "hours": team.hours(minutes)}
            for month, minutes in months
        ],
    }


def _team(request):
    if not team.may_see_team(request.user):
        raise Http404
    return team.team_memberships(request.user).order_by("node__path", "role", "user__username")


@router.get("/grid-team", response=list[TeamMemberOut])
@paginate(Page)
def list_grid_team(request, filters: Query[TeamQuery]):
    """The members of the grid teams in the caller's places (网格团队): ``grid`` (a grid's
    code, id or name: its team, with the helpers on its community), ``role``, ``q`` (a name).
    Each with the buildings they look after, the errands given to them and not yet done, and
    their service hours by month."""
    members = apply_filters(TeamFilter, filters, _team(request), request)
    return _TeamPage(request, members)


class _TeamPage:
    """A lazy list for the paginator: the facts are read for the page's members only."""

    def __init__(self, request, members):
        self.request, self.members = request, members

    def count(self):
        return self.members.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        page = list(self.members[index])
        facts = team.member_facts(self.request.user, page)
        return [_member_out(membership, facts[membership.pk]) for membership in page]


def _membership(request, membership_id: int) -> Membership:
    return get_object_or_404(_team(request), pk=membership_id)


@router.post("/grid-team/{membership_id}/buildings", response={201: TeamMemberOut})
def assign_building(request, membership_id: int, payload: BuildingIn):
    """Give a team member a building to look after."""
    membership = _membership(request, membership_id)
    building = Building.objects.restrict(request.user, "view").filter(pk=payload.building).first()
    if building is None:
        raise ValidationError({"building": gettext("No such building in your places")})
    fieldwork.assign_building(actor=request.user, membership=membership, building=building)
    facts = team.member_facts(request.user, [membership])
    return Status(201, _member_out(membership, facts[membership.pk]))


@router.delete("/grid-team/{membership_id}/buildings/{building_id}", response={204: None})
def unassign_building(request, membership_id: int, building_id: int):
    """The member no longer looks after the building."""
    membership = _membership(request, membership_id)
    duty = get_object_or_404(
        TeamDuty.objects.restrict(request.user, "view").select_related("building__grid"),
        membership=membership,
        building_id=building_id,
    )
    fieldwork.unassign_building(actor=request.user, duty=duty)
    return Status(204, None)


# --- Errands ------------------------------------------------------------------------------------


@router.get("/errand-kinds", response=list[ErrandKindOut])
def list_errand_kinds(request):
    """The kinds of errand (a standard kept as data)."""
    return list(ErrandKind.objects.filter(is_active=True))


def _errands(request):
    return CareRequest.objects.restrict(request.user, "view").select_related(
        "person__household__dwelling__building",
        "grid",
        "kind",
        "raised_by",
        "assignee",
        "rated_by",
    )


def _errand(request, errand_id: int) -> CareRequest:
    return get_object_or_404(_errands(request), pk=errand_id)


def _out(request, errand):
    return shown.errand_data(errand, request.user)


@router.get("/care-requests", response=list[CareRequestOut])
@paginate(Page)
def list_care_requests(request, filters: Query[CareRequestQuery]):
    """Errands (帮办代办) in the caller's places, the latest first — a helper's own: filter by
    ``state``, ``grid``, ``kind`` (code), ``helper`` (user name or id), ``q`` (the person's
    name)."""
    rows = apply_filters(CareRequestFilter, filters, _errands(request), request)
    return Presented(rows, lambda errand: shown.errand_data(errand, request.user))


@router.get("/care-requests/{errand_id}", response=CareRequestOut)
def get_care_request(request, errand_id: int):
    """One errand."""
    return _out(request, _errand(request, errand_id))


@router.post("/care-requests", response={201: CareRequestOut, 200: CareRequestOut})
def create_care_request(
    request,
    payload: CareRequestIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Raise an errand for a person with a care tag. A retry with the same
    ``Idempotency-Key`` returns the first errand (200)."""
    person = (
        Person.objects.restrict(request.user, "view")
        .select_related("grid")
        .filter(pk=payload.person)
        .first()
    )
    if person is None:
        raise ValidationError({"person": gettext("No such person in your places")})
    kind = ErrandKind.objects.filter(code=payload.kind).first()
    if kind is None:
        raise ValidationError({"kind": gettext("No such kind of errand")})
    visit = None
    if payload.visit is not None:
        visit = Visit.objects.restrict(request.user, "view").filter(pk=payload.visit).first()
        if visit is None:
            raise ValidationError({"visit": gettext("No such visit in your places")})
    errand, made = fieldwork.raise_errand(
        actor=request.user,
        person=person,
        kind=kind,
        description=payload.description,
        source=payload.source,
        wanted_by=payload.wanted_by,
        visit=visit,
        idempotency_key=idempotency_key,
    )
    return Status(201 if made else 200, _out(request, _errand(request, errand.pk)))


def _helper(value: str) -> User:
    value = (value or "").strip()[:150]
    pk = as_id(value)
    helper = User.objects.filter(username=value, is_active=True).first()
    if helper is None and pk is not None:
        helper = User.objects.filter(pk=pk, is_active=True).first()
    if helper is None:
        raise ValidationError({"helper": gettext("No such helper")})
    return helper


@router.post("/care-requests/{errand_id}/assign", response=CareRequestOut)
def assign_care_request(request, errand_id: int, payload: AssignIn):
    """Give the errand to a helper of the person's grid (a member of its team)."""
    errand = _errand(request, errand_id)
    helper = _helper(payload.helper)
    fieldwork.assign_errand(actor=request.user, errand=errand, helper=helper, note=payload.note)
    return _out(request, _errand(request, errand_id))


@router.post("/care-requests/{errand_id}/accept", response=CareRequestOut)
def accept_care_request(request, errand_id: int):
    """The helper it was given to says they will do it."""
    errand = _errand(request, errand_id)
    fieldwork.accept_errand(actor=request.user, errand=errand)
    return _out(request, _errand(request, errand_id))


@router.post("/care-requests/{errand_id}/done", response=CareRequestOut)
def done_care_request(
    request,
    errand_id: int,
    payload: DoneIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Record the errand done: minutes spent, what was done (a photo from the phone's page)."""
    errand = _errand(request, errand_id)
    fieldwork.record_errand_done(
        actor=request.user,
        errand=errand,
        minutes=payload.minutes,
        note=payload.note,
        done_at=payload.done_at,
        idempotency_key=idempotency_key,
    )
    return _out(request, _errand(request, errand_id))


@router.post("/care-requests/{errand_id}/rate", response=CareRequestOut)
def rate_care_request(
    request,
    errand_id: int,
    payload: RateIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """The person's rating (1–5 and their words), and how it was taken: ``in_person`` (the
    helper on their behalf) or ``callback`` (staff on a call back). Who recorded it is kept."""
    errand = _errand(request, errand_id)
    fieldwork.rate_errand(
        actor=request.user,
        errand=errand,
        rating=payload.rating,
        words=payload.words,
        way=payload.way,
        idempotency_key=idempotency_key,
    )
    return _out(request, _errand(request, errand_id))


@router.post("/care-requests/{errand_id}/cancel", response=CareRequestOut)
def cancel_care_request(request, errand_id: int, payload: ErrandCancelIn):
    """Cancel an errand that is not yet done, with the reason."""
    errand = _errand(request, errand_id)
    fieldwork.cancel_errand(actor=request.user, errand=errand, reason=payload.reason)
    return _out(request, _errand(request, errand_id))


@router.get("/care-requests/{errand_id}/photo", response={200: None}, url_name="care-request-photo")
def care_request_photo(request, errand_id: int):
    """The photo or receipt of a done errand."""
    errand = _errand(request, errand_id)
    if not errand.photo:
        raise Http404
    try:
        handle = errand.photo.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
