"""Disputes and people's mediation through the API (矛盾纠纷与人民调解).

Everything is limited to the caller's places (a 404 outside them). The parties' personal data
— names, phones, ID numbers, addresses — is masked in every answer; it is shown in full only on
the printed agreement (a console page, recorded in the audit log).
"""

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.accounts.models import User
from wangge.core import inputs
from wangge.core.api import Page, Presented, apply_filters
from wangge.core.errors import ValidationError
from wangge.core.filters import NodeRefField, as_id, clean_ref, node_by_code_or_id, query_schema
from wangge.fieldwork import disputes
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.filters import DisputeFilter
from wangge.fieldwork.models import (
    Agreement,
    Campaign,
    Dispute,
    DisputeKind,
    FollowUp,
    MediationSession,
)
from wangge.people.models import Person
from wangge.territory.models import Node

router = Router(tags=["disputes"])

DisputeQuery = query_schema(DisputeFilter, "DisputeQuery")


class MediatorOut(Schema):
    id: int
    name: str


class PartyOut(Schema):
    id: int
    role: str = Field(description="applicant or respondent")
    role_label: str
    registered: bool = Field(description="a person of the register")
    person_id: int | None
    name: str = Field(description="masked: the family name only")
    phone: str = Field(description="masked")
    id_number: str = Field(description="masked")
    address: str = Field(description="masked")


class DisputeOut(Schema):
    id: int
    number: str
    title: str
    kind: str
    kind_name: str
    grid_id: int
    grid_code: str
    grid_name: str
    source: str = Field(description="case, screening, walk_in or other")
    source_label: str
    drive: str = Field(description="the screening drive it was found in")
    campaign_id: int | None = Field(
        description="the dispute screening campaign (/campaigns) it was found in"
    )
    case_id: int | None
    case_number: str
    state: str = Field(description="intake, mediating, agreed, oral, failed, referred or closed")
    state_label: str
    received_at: datetime.datetime
    outcome_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    mediators: list[MediatorOut]
    parties: list[PartyOut]


class SessionOut(Schema):
    id: int
    held_on: datetime.date
    place: str
    record: str
    present: list[int] = Field(description="the ids of the parties who came")
    mediators: list[MediatorOut]
    recorded_by: str


class AgreementOut(Schema):
    id: int
    oral: bool
    facts: str
    responsibilities: str
    terms: str
    performance: str
    deadline: datetime.date | None
    signed: bool
    signed_on: datetime.date | None


class FollowUpOut(Schema):
    id: int
    visited_on: datetime.date
    visitor: str
    carried_out: bool
    satisfied: bool
    risk: bool
    note: str


class DisputeDetailOut(DisputeOut):
    facts: str
    points: str
    outcome_note: str
    referred_to: str
    sessions: list[SessionOut]
    agreement: AgreementOut | None
    follow_ups: list[FollowUpOut]


class PartyIn(Schema):
    role: str = Field(description="applicant or respondent")
    person_id: int | None = Field(None, description="a person of the register")
    name: str = Field("", max_length=64, description="someone not in the register")
    phone: str = Field("", max_length=32)
    id_number: str = Field("", max_length=32)
    address: str = Field("", max_length=200)


class DisputeIn(Schema):
    grid: str = Field(description="the grid's code (or id)")
    kind: str = Field(description="a kind of dispute's code, e.g. neighbour")
    title: str = inputs.field(Dispute, "title")
    facts: str = inputs.field(Dispute, "facts")
    points: str = inputs.field(Dispute, "points")
    source: str = Field("other", description="case, screening, walk_in or other")
    drive: str = inputs.field(Dispute, "drive")
    campaign: int | None = Field(
        None, description="the id of the dispute screening campaign it was found in"
    )
    case: str = Field("", description="the number of the case it came from")
    mediators: list[str] = Field(default_factory=list, description="user names or ids")
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)


class SessionIn(Schema):
    held_on: datetime.date
    place: str = inputs.field(MediationSession, "place")
    record: str = inputs.field(MediationSession, "record")
    present: list[int] = Field(default_factory=list, description="ids of the parties who came")
    mediators: list[str] = Field(default_factory=list, description="user names or ids")


class OutcomeIn(Schema):
    outcome: str = Field(description="agreed (written), oral, failed or referred")
    note: str = inputs.field(Dispute, "outcome_note")
    referred_to: str = inputs.field(Dispute, "referred_to")
    facts: str = inputs.field(Agreement, "facts")
    responsibilities: str = inputs.field(Agreement, "responsibilities")
    terms: str = inputs.field(Agreement, "terms")
    performance: str = inputs.field(Agreement, "performance")
    deadline: datetime.date | None = None
    signed_on: datetime.date | None = None


class SignedIn(Schema):
    signed_on: datetime.date


class FollowUpIn(Schema):
    visited_on: datetime.date
    carried_out: bool
    satisfied: bool
    risk: bool
    note: str = inputs.field(FollowUp, "note")


class CloseIn(Schema):
    note: str = Field("", max_length=inputs.NOTE)


def _dispute(request, dispute_id: int) -> Dispute:
    return get_object_or_404(disputes.visible(request.user), pk=dispute_id)


def _users(values: list[str], field: str = "mediators") -> list[User]:
    found = []
    for value in values[:20]:
        pk = as_id(value)
        user = User.objects.filter(pk=pk).first() if pk is not None else None
        user = user or User.objects.filter(username=value).first()
        if user is None:
            raise ValidationError({field: gettext("No such user: %(name)s") % {"name": value}})
        found.append(user)
    return found


def _parties(request, parties: list[PartyIn]) -> list[fieldwork.PartySpec]:
    specs = []
    people = Person.objects.restrict(request.user, "view")
    for n, party in enumerate(parties):
        person = None
        if party.person_id is not None:
            person = people.filter(pk=party.person_id).first()
            if person is None:
                raise ValidationError(
                    {f"parties.{n}.person_id": gettext("No such person in your places")}
                )
        specs.append(
            fieldwork.PartySpec(
                role=party.role,
                person=person,
                name=party.name,
                phone=party.phone,
                id_number=party.id_number,
                address=party.address,
            )
        )
    return specs


def _detail(request, dispute_id: int) -> dict:
    return disputes.dispute_detail(_dispute(request, dispute_id))


@router.get("/disputes", response=list[DisputeOut])
@paginate(Page)
def list_disputes(request, filters: Query[DisputeQuery]):
    """The disputes of the caller's places, the latest taken in first: filter by ``state``,
    ``kind`` (code), ``grid`` (a grid or division: its subtree), ``source``, ``mediator`` (a
    name), ``since``/``until`` (days taken in) and ``q`` (words of the title). Parties masked."""
    rows = apply_filters(DisputeFilter, filters, disputes.visible(request.user), request)
    return Presented(rows.order_by("-received_at", "-id"), disputes.dispute_data)


@router.get("/disputes/{dispute_id}", response=DisputeDetailOut)
def get_dispute(request, dispute_id: int):
    """One dispute with its sessions, outcome, agreement and follow-up visits."""
    return _detail(request, dispute_id)


@router.post("/disputes", response={201: DisputeDetailOut})
def create_dispute(
    request, payload: DisputeIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
):
    """Take a dispute in: its grid, kind, facts, the parties (a person of the register by
    ``person_id``, or someone else typed in), the mediators; ``case``: the case it came from
    (its own loop goes on). A retry with the same ``Idempotency-Key`` makes none twice."""
    value = clean_ref("grid", payload.grid, NodeRefField(required=True))
    grid = node_by_code_or_id(Node.objects.restrict(request.user, "view"), value)
    if grid is None:
        raise Http404("grid")
    kind = DisputeKind.objects.filter(code=payload.kind).first()
    if kind is None:
        raise ValidationError({"kind": gettext("No such kind of dispute")})
    case = None
    if payload.case.strip():
        from wangge.cases.models import Case

        case = Case.objects.restrict(request.user, "view").filter(number=payload.case).first()
        if case is None:
            raise ValidationError({"case": gettext("No case with this number that you can see")})
    campaign = None
    if payload.campaign is not None:
        campaign = (
            Campaign.objects.restrict(request.user, "view").filter(pk=payload.campaign).first()
        )
        if campaign is None:
            raise ValidationError(
                {"campaign": gettext("No such dispute screening campaign in your places")}
            )
    dispute = fieldwork.create_dispute(
        actor=request.user,
        grid=grid,
        kind=kind,
        title=payload.title,
        facts=payload.facts,
        points=payload.points,
        source=payload.source,
        drive=payload.drive,
        campaign=campaign,
        case=case,
        mediators=_users(payload.mediators),
        parties=_parties(request, payload.parties),
        idempotency_key=idempotency_key,
    )
    return Status(201, _detail(request, dispute.pk))


@router.post("/disputes/{dispute_id}/sessions", response={201: SessionOut})
def create_session(
    request,
    dispute_id: int,
    payload: SessionIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Record a mediation session: the day, the place, the parties present (their ids), the
    record, the mediators. The first sets the dispute mediating."""
    dispute = _dispute(request, dispute_id)
    parties = {party.pk: party for party in dispute.parties.all()}
    unknown = [pk for pk in payload.present if pk not in parties]
    if unknown:
        raise ValidationError(
            {
                "present": gettext("Not a party to this dispute: %(ids)s")
                % {"ids": ", ".join(map(str, unknown))}
            }
        )
    session = fieldwork.record_session(
        actor=request.user,
        dispute=dispute,
        held_on=payload.held_on,
        place=payload.place,
        record=payload.record,
        present=[parties[pk] for pk in payload.present],
        mediators=_users(payload.mediators),
        idempotency_key=idempotency_key,
    )
    return Status(201, disputes.session_data(session))


@router.post("/disputes/{dispute_id}/outcome", response=DisputeDetailOut)
def record_outcome(request, dispute_id: int, payload: OutcomeIn):
    """How the mediation ended: ``agreed`` (a written agreement: ``terms``, ``performance``,
    ``deadline``, and the main ``facts`` and ``responsibilities``), ``oral`` (its ``terms``),
    ``failed`` (``note``: why) or ``referred`` (``referred_to``: to whom)."""
    dispute = _dispute(request, dispute_id)
    fieldwork.record_outcome(
        actor=request.user,
        dispute=dispute,
        outcome=payload.outcome,
        note=payload.note,
        referred_to=payload.referred_to,
        facts=payload.facts,
        responsibilities=payload.responsibilities,
        terms=payload.terms,
        performance=payload.performance,
        deadline=payload.deadline,
        signed_on=payload.signed_on,
    )
    return _detail(request, dispute_id)


@router.post("/disputes/{dispute_id}/agreement/signed", response=AgreementOut)
def sign_agreement(request, dispute_id: int, payload: SignedIn):
    """The written agreement signed by the parties and the mediator on ``signed_on``."""
    dispute = _dispute(request, dispute_id)
    agreement = Agreement.objects.restrict(request.user, "view").filter(dispute=dispute).first()
    if agreement is None:
        raise ValidationError({"agreement": gettext("This dispute has no written agreement")})
    fieldwork.sign_agreement(actor=request.user, agreement=agreement, signed_on=payload.signed_on)
    return disputes.agreement_data(_dispute(request, dispute_id))


@router.post("/disputes/{dispute_id}/follow-ups", response={201: FollowUpOut})
def create_follow_up(
    request,
    dispute_id: int,
    payload: FollowUpIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Record a follow-up visit (回访) after the outcome: carried out? satisfied? a risk the
    dispute flares up again (then ``note`` says what)?"""
    dispute = _dispute(request, dispute_id)
    follow_up = fieldwork.record_follow_up(
        actor=request.user,
        dispute=dispute,
        visited_on=payload.visited_on,
        carried_out=payload.carried_out,
        satisfied=payload.satisfied,
        risk=payload.risk,
        note=payload.note,
        idempotency_key=idempotency_key,
    )
    return Status(201, disputes.follow_up_data(follow_up))


@router.post("/disputes/{dispute_id}/close", response=DisputeDetailOut)
def close_dispute(request, dispute_id: int, payload: CloseIn):
    """Close the file once the mediation has an outcome."""
    dispute = _dispute(request, dispute_id)
    fieldwork.close_dispute(actor=request.user, dispute=dispute, note=payload.note)
    return _detail(request, dispute_id)
