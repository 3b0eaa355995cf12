"""Disputes and people's mediation (矛盾纠纷与人民调解): a dispute taken in with its parties,
the mediation sessions, the outcome (a written agreement — 调解协议书 —, an oral one, none, or
referred on), the agreement signed, the follow-up visits, the file closed; and the agreement
opened for printing with the parties' details in full, which is recorded.

Every function checks the actor's places, validates everything before it writes, writes in one
transaction with its audit event. Parties' names, phones, ID numbers and addresses typed in
are encrypted; audit snapshots hold them masked. A dispute made from a case only links it:
the case keeps its own loop (its callback still closes it).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wangge.core import audit, inputs
from wangge.core.errors import ValidationError
from wangge.core.services import allowed, check_scope, idempotent, replay
from wangge.fieldwork.models import (
    OPEN_STATES,
    OUTCOME_STATES,
    Agreement,
    Campaign,
    CampaignKind,
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeSource,
    DisputeState,
    FollowUp,
    MediationSession,
    PartyRole,
)
from wangge.people import idnumber
from wangge.people import phone as phones
from wangge.people.models import Person

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.cases.models import Case
    from wangge.territory.models import Node

MAX_PARTIES = 20
MAX_MEDIATORS = 10
# The outcomes a mediation ends in (and the state each leaves the dispute in).
OUTCOMES = {
    DisputeState.AGREED,
    DisputeState.ORAL,
    DisputeState.FAILED,
    DisputeState.REFERRED,
}


@dataclass
class PartySpec:
    """A party as given: a person of the register, or name (and phone, ID number, address)
    typed in for someone who does not live here."""

    role: str
    person: Person | None = None
    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""


def _now(at: datetime.datetime | None) -> datetime.datetime:
    return at or timezone.now()


def _today() -> datetime.date:
    return timezone.localdate()


def _check_day(errors: dict[str, str], field: str, day: object, *, required: bool = True) -> None:
    if day is None:
        if required:
            errors.setdefault(field, gettext("Give the date"))
        return
    if not isinstance(day, datetime.date):
        errors.setdefault(field, gettext("Give a date like 2026-12-01"))
    elif day > _today():
        errors.setdefault(field, gettext("The date may not be in the future"))


def _check_parties(
    actor: User | None,
    parties: Sequence[PartySpec],
    errors: dict[str, str],
    *,
    prefix: str = "parties",
) -> list[PartySpec]:
    """The parties checked and cleaned (phone and ID number normalized); errors by
    ``parties.<n>.<field>``. A person of the register must be one the actor may see."""
    cleaned = []
    if len(parties) > MAX_PARTIES:
        errors.setdefault(prefix, gettext("At most %(n)s parties") % {"n": MAX_PARTIES})
        return []
    visible = Person.objects.restrict(actor, "view") if actor is not None else Person.objects
    for n, spec in enumerate(parties):
        key = f"{prefix}.{n}"
        inputs.check_choice(errors, f"{key}.role", spec.role, PartyRole)
        name = (spec.name or "").strip()
        phone = (spec.phone or "").strip()
        id_number = (spec.id_number or "").strip()
        address = (spec.address or "").strip()
        inputs.no_nul(
            errors,
            {
                f"{key}.name": name,
                f"{key}.phone": phone,
                f"{key}.id_number": id_number,
                f"{key}.address": address,
            },
        )
        if spec.person is not None:
            if not visible.filter(pk=spec.person.pk).exists():
                errors.setdefault(f"{key}.person", gettext("No such person in your places"))
            if name or phone or id_number or address:
                errors.setdefault(
                    f"{key}.name",
                    gettext("A person of the register brings their own details: type none"),
                )
        else:
            if not name:
                errors.setdefault(
                    f"{key}.name", gettext("Give the party's name, or pick them from the register")
                )
            inputs.check_length(errors, f"{key}.name", name, 64)
            inputs.check_length(errors, f"{key}.address", address, 200)
            if phone:
                try:
                    phone = phones.validate(phone)
                except phones.InvalidPhone as exc:
                    errors.setdefault(f"{key}.phone", str(exc))
            if id_number:
                try:
                    id_number = idnumber.validate(id_number)
                except idnumber.InvalidIdNumber as exc:
                    errors.setdefault(f"{key}.id_number", str(exc))
        cleaned.append(
            PartySpec(
                role=spec.role,
                person=spec.person,
                name=name,
                phone=phone,
                id_number=id_number,
                address=address,
            )
        )
    return cleaned


def _check_mediators(errors: dict[str, str], mediators: Iterable[User], grid: Node) -> list[User]:
    """Mediators are people who work in the dispute's place (see its disputes there)."""
    mediators = list(dict.fromkeys(mediators))
    if len(mediators) > MAX_MEDIATORS:
        errors.setdefault("mediators", gettext("At most %(n)s mediators") % {"n": MAX_MEDIATORS})
    for user in mediators:
        if not user.is_active or not allowed(user, Dispute, "view", path=grid.path):
            errors.setdefault(
                "mediators",
                gettext("%(name)s does not work in this dispute's place") % {"name": user.name},
            )
    return mediators


def _party_snapshots(parties: Iterable[DisputeParty]) -> list[dict[str, object]]:
    return [audit.snapshot(party) for party in parties]


@transaction.atomic
def create_dispute(
    *,
    actor: User | None,
    grid: Node,
    kind: DisputeKind,
    title: str,
    facts: str,
    parties: Sequence[PartySpec],
    points: str = "",
    source: str = DisputeSource.OTHER,
    drive: str = "",
    campaign: Campaign | None = None,
    case: Case | None = None,
    mediators: Iterable[User] = (),
    at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> Dispute:
    """Take a dispute in (受理) in ``grid``, with its parties — at least one applicant and one
    respondent — and its mediators. ``case``: the case it came from, linked only (the case's
    own loop goes on as before). ``campaign``: the dispute screening campaign it was found in
    (the source is then the screening drive, named after the campaign unless named)."""
    earlier = replay(key=idempotency_key, actor=actor, operation="dispute.create", model=Dispute)
    if earlier is not None:
        return earlier
    check_scope(actor, Dispute(), "add", path=grid.path)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    facts = (facts or "").strip()
    points = (points or "").strip()
    drive = (drive or "").strip()
    if not title:
        errors["title"] = gettext("Give the dispute a title")
    if not facts:
        errors["facts"] = gettext("Say what happened")
    inputs.no_nul(errors, {"title": title, "facts": facts, "points": points, "drive": drive})
    inputs.check_lengths(
        errors, Dispute, {"title": title, "facts": facts, "points": points, "drive": drive}
    )
    inputs.check_choice(errors, "source", source, DisputeSource)
    if not kind.is_active:
        errors["kind"] = gettext("This kind of dispute is no longer used")
    from wangge.territory.choices import NodeKind

    if grid.kind not in (NodeKind.GRID, NodeKind.DEDICATED_GRID, NodeKind.MICRO_GRID):
        errors["grid"] = gettext("A dispute is taken in by a grid")
    if case is not None:
        from wangge.cases.models import Case as CaseModel

        if not CaseModel.objects.restrict(actor, "view").filter(pk=case.pk).exists():
            errors["case"] = gettext("No such case in your places")
        elif Dispute.objects.filter(case=case).exists():
            errors["case"] = gettext("A dispute has already been made from this case")
    if campaign is not None:
        if (
            campaign.kind != CampaignKind.DISPUTE
            or not Campaign.objects.restrict(actor, "view").filter(pk=campaign.pk).exists()
        ):
            errors["campaign"] = gettext("No such dispute screening campaign in your places")
        elif not grid.path.startswith(campaign.node.path):
            errors["campaign"] = gettext("The campaign does not cover this grid")
        elif source == DisputeSource.OTHER:
            source = DisputeSource.SCREENING
        drive = drive or campaign.title
    if source == DisputeSource.CASE and case is None:
        errors.setdefault("case", gettext("Name the case the dispute came from"))
    cleaned = _check_parties(actor, parties, errors)
    roles = {spec.role for spec in cleaned}
    both = {PartyRole.APPLICANT, PartyRole.RESPONDENT} <= roles
    if not both and not any(key.startswith("parties") for key in errors):
        errors["parties"] = gettext("Give at least one applicant and one respondent")
    people = _check_mediators(errors, mediators, grid)
    if errors:
        raise ValidationError(errors)

    def create() -> Dispute:
        dispute = Dispute.objects.create(
            grid=grid,
            kind=kind,
            title=title,
            facts=facts,
            points=points,
            source=source,
            drive=drive,
            campaign=campaign,
            case=case,
            received_at=_now(at),
            created_by=actor,
        )
        dispute.mediators.set(people)
        made = [
            DisputeParty.objects.create(
                dispute=dispute,
                role=spec.role,
                person=spec.person,
                name="" if spec.person else spec.name,
                phone="" if spec.person else spec.phone,
                id_number="" if spec.person else spec.id_number,
                address="" if spec.person else spec.address,
                sort=n,
            )
            for n, spec in enumerate(cleaned)
        ]
        audit.record(
            actor=actor,
            action="fieldwork.dispute.created",
            target=dispute,
            node=grid,
            after=audit.snapshot(
                dispute,
                extra={
                    "party_details": _party_snapshots(made),
                    "mediators": [user.pk for user in people],
                },
            ),
        )
        return dispute

    dispute, _ = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="dispute.create",
        model=Dispute,
        create=create,
        replayed=True,
    )
    return dispute


def _check_open(dispute: Dispute) -> None:
    if dispute.state not in OPEN_STATES:
        raise ValidationError(
            {
                "state": gettext("The mediation has ended: it is %(state)s")
                % {"state": dispute.get_state_display()}
            }
        )


@transaction.atomic
def record_session(
    *,
    actor: User | None,
    dispute: Dispute,
    held_on: datetime.date | None,
    record: str,
    place: str = "",
    present: Iterable[DisputeParty] = (),
    mediators: Iterable[User] = (),
    at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> MediationSession:
    """A mediation session (调解记录): the day, the place, the parties who came, what was
    said and agreed or not, by which mediators. The first one sets the dispute mediating."""
    earlier = replay(
        key=idempotency_key, actor=actor, operation="dispute.session", model=MediationSession
    )
    if earlier is not None:
        return earlier
    dispute = Dispute.objects.select_for_update().select_related("grid").get(pk=dispute.pk)
    check_scope(actor, dispute, "view", path=dispute.grid.path)
    check_scope(actor, MediationSession(), "add", path=dispute.grid.path)
    _check_open(dispute)
    errors: dict[str, str] = {}
    record = (record or "").strip()
    place = (place or "").strip()
    _check_day(errors, "held_on", held_on)
    if not record:
        errors["record"] = gettext("Write what was said and done")
    inputs.no_nul(errors, {"record": record, "place": place})
    inputs.check_lengths(errors, MediationSession, {"record": record, "place": place})
    present = list(dict.fromkeys(present))
    if any(party.dispute_id != dispute.pk for party in present):
        errors["present"] = gettext("Only the dispute's own parties can be present")
    people = _check_mediators(errors, mediators, dispute.grid)
    if errors:
        raise ValidationError(errors)

    def create() -> MediationSession:
        session = MediationSession.objects.create(
            dispute=dispute,
            held_on=cast(datetime.date, held_on),
            place=place,
            record=record,
            recorded_by=actor,
            created_at=_now(at),
        )
        session.present.set(present)
        session.mediators.set(people)
        before = audit.snapshot(dispute)
        if dispute.state == DisputeState.INTAKE:
            dispute.state = DisputeState.MEDIATING
            dispute.save(update_fields=["state", "updated_at"])
        if people:
            dispute.mediators.add(*people)
        audit.record(
            actor=actor,
            action="fieldwork.mediationsession.created",
            target=session,
            node=dispute.grid,
            after=audit.snapshot(
                session,
                extra={
                    "present": [party.pk for party in present],
                    "mediators": [user.pk for user in people],
                    "dispute_state": dispute.state,
                },
            ),
            reason=f"{before['state']} → {dispute.state}"
            if before["state"] != dispute.state
            else "",
        )
        return session

    session, _ = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="dispute.session",
        model=MediationSession,
        create=create,
        replayed=True,
    )
    return session


@transaction.atomic
def record_outcome(
    *,
    actor: User | None,
    dispute: Dispute,
    outcome: str,
    note: str = "",
    referred_to: str = "",
    facts: str = "",
    responsibilities: str = "",
    terms: str = "",
    performance: str = "",
    deadline: datetime.date | None = None,
    signed_on: datetime.date | None = None,
    at: datetime.datetime | None = None,
) -> Dispute:
    """How the mediation ended. ``agreed``: a written agreement (调解协议书) — its main facts
    (the dispute's, unless given), the points in dispute and responsibilities, the terms with
    the manner and deadline of performance; ``signed_on`` if the parties signed it already.
    ``oral``: the oral agreement, its terms as text. ``failed``: no agreement, ``note`` says
    why. ``referred``: handed on, ``referred_to`` says to whom."""
    dispute = Dispute.objects.select_for_update().select_related("grid").get(pk=dispute.pk)
    check_scope(actor, dispute, "view", path=dispute.grid.path)
    check_scope(actor, dispute, "change", path=dispute.grid.path)
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = inputs.unknown(outcome, sorted(OUTCOMES))
    if errors:
        raise ValidationError(errors)
    _check_open(dispute)
    values = {
        "note": (note or "").strip(),
        "referred_to": (referred_to or "").strip(),
        "facts": (facts or "").strip(),
        "responsibilities": (responsibilities or "").strip(),
        "terms": (terms or "").strip(),
        "performance": (performance or "").strip(),
    }
    inputs.no_nul(errors, values)
    inputs.check_lengths(
        errors,
        Dispute,
        {"outcome_note": values["note"], "referred_to": values["referred_to"]},
        names={"outcome_note": "note"},
    )
    inputs.check_lengths(
        errors,
        Agreement,
        {key: values[key] for key in ("facts", "responsibilities", "terms", "performance")},
    )
    agreement = outcome in (DisputeState.AGREED, DisputeState.ORAL)
    if agreement and not values["terms"]:
        errors.setdefault("terms", gettext("Write the terms the parties agreed"))
    if outcome == DisputeState.FAILED and not values["note"]:
        errors.setdefault("note", gettext("Say why no agreement was reached"))
    if outcome == DisputeState.REFERRED and not values["referred_to"]:
        errors.setdefault("referred_to", gettext("Say to whom the dispute is referred"))
    if outcome == DisputeState.AGREED:
        if deadline is not None and not isinstance(deadline, datetime.date):
            errors.setdefault("deadline", gettext("Give a date like 2026-12-01"))
        _check_day(errors, "signed_on", signed_on, required=False)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(dispute)
    moment = _now(at)
    dispute.state = outcome
    dispute.outcome_note = values["note"]
    dispute.referred_to = values["referred_to"] if outcome == DisputeState.REFERRED else ""
    dispute.outcome_at = moment
    dispute.save()
    extra = {}
    if agreement:
        written = outcome == DisputeState.AGREED
        made = Agreement.objects.create(
            dispute=dispute,
            oral=not written,
            facts=(values["facts"] or dispute.facts) if written else values["facts"],
            responsibilities=values["responsibilities"],
            terms=values["terms"],
            performance=values["performance"] if written else "",
            deadline=deadline if written else None,
            signed=bool(written and signed_on),
            signed_on=signed_on if written else None,
            created_by=actor,
            created_at=moment,
        )
        extra = {"agreement_details": audit.snapshot(made)}
    audit.record(
        actor=actor,
        action="fieldwork.dispute.outcome",
        target=dispute,
        node=dispute.grid,
        before=before,
        after=audit.snapshot(dispute, extra=extra),
    )
    return dispute


@transaction.atomic
def sign_agreement(
    *, actor: User | None, agreement: Agreement, signed_on: datetime.date | None
) -> Agreement:
    """The written agreement signed (or fingerprinted) by the parties and the mediator on
    ``signed_on``, after printing it."""
    agreement = (
        Agreement.objects.select_for_update().select_related("dispute__grid").get(pk=agreement.pk)
    )
    grid = agreement.dispute.grid
    check_scope(actor, agreement, "view", path=grid.path)
    check_scope(actor, agreement, "change", path=grid.path)
    errors: dict[str, str] = {}
    if agreement.oral:
        errors["agreement"] = gettext("An oral agreement is not signed")
    _check_day(errors, "signed_on", signed_on)
    if (
        signed_on is not None
        and not errors
        and signed_on < timezone.localdate(agreement.created_at)
    ):
        errors["signed_on"] = gettext("The agreement was signed after it was written")
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(agreement)
    agreement.signed = True
    agreement.signed_on = signed_on
    if audit.snapshot(agreement) == before:
        return agreement
    agreement.save()
    audit.record(
        actor=actor,
        action="fieldwork.agreement.signed",
        target=agreement,
        node=grid,
        before=before,
        after=audit.snapshot(agreement),
    )
    return agreement


@transaction.atomic
def record_follow_up(
    *,
    actor: User | None,
    dispute: Dispute,
    visited_on: datetime.date | None,
    carried_out: bool | None,
    satisfied: bool | None,
    risk: bool | None,
    note: str = "",
    at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> FollowUp:
    """A follow-up visit (回访) after the outcome: whether what was agreed is carried out,
    whether the parties are satisfied, whether the dispute risks flaring up again."""
    earlier = replay(key=idempotency_key, actor=actor, operation="dispute.followup", model=FollowUp)
    if earlier is not None:
        return earlier
    dispute = Dispute.objects.select_for_update().select_related("grid").get(pk=dispute.pk)
    check_scope(actor, dispute, "view", path=dispute.grid.path)
    check_scope(actor, FollowUp(), "add", path=dispute.grid.path)
    errors: dict[str, str] = {}
    if dispute.state not in OUTCOME_STATES and dispute.state != DisputeState.CLOSED:
        errors["state"] = gettext("A follow-up visit comes after the outcome of the mediation")
    note = (note or "").strip()
    _check_day(errors, "visited_on", visited_on)
    for name, value in (("carried_out", carried_out), ("satisfied", satisfied), ("risk", risk)):
        if not isinstance(value, bool):
            errors[name] = gettext("Answer yes or no")
    if risk and not note:
        errors.setdefault("note", gettext("Say what the risk is"))
    inputs.no_nul(errors, {"note": note})
    inputs.check_lengths(errors, FollowUp, {"note": note})
    if errors:
        raise ValidationError(errors)

    def create() -> FollowUp:
        follow_up = FollowUp.objects.create(
            dispute=dispute,
            visited_on=cast(datetime.date, visited_on),
            visitor=actor,
            carried_out=bool(carried_out),
            satisfied=bool(satisfied),
            risk=bool(risk),
            note=note,
            created_at=_now(at),
        )
        audit.record(
            actor=actor,
            action="fieldwork.followup.created",
            target=follow_up,
            node=dispute.grid,
            after=audit.snapshot(follow_up),
        )
        return follow_up

    follow_up, _ = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="dispute.followup",
        model=FollowUp,
        create=create,
        replayed=True,
    )
    return follow_up


@transaction.atomic
def close_dispute(
    *, actor: User | None, dispute: Dispute, note: str = "", at: datetime.datetime | None = None
) -> Dispute:
    """The file closed (结案) once the mediation has an outcome."""
    dispute = Dispute.objects.select_for_update().select_related("grid").get(pk=dispute.pk)
    check_scope(actor, dispute, "view", path=dispute.grid.path)
    check_scope(actor, dispute, "change", path=dispute.grid.path)
    errors: dict[str, str] = {}
    note = (note or "").strip()
    if dispute.state not in OUTCOME_STATES:
        errors["state"] = gettext("Record the outcome of the mediation first")
    inputs.no_nul(errors, {"note": note})
    inputs.check_length(errors, "note", note, inputs.NOTE)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(dispute)
    dispute.state = DisputeState.CLOSED
    dispute.closed_at = _now(at)
    dispute.save()
    audit.record(
        actor=actor,
        action="fieldwork.dispute.closed",
        target=dispute,
        node=dispute.grid,
        before=before,
        after=audit.snapshot(dispute),
        reason=note,
    )
    return dispute


@transaction.atomic
def print_agreement(*, actor: User | None, dispute: Dispute) -> Agreement:
    """The written agreement opened for printing, with the parties' names, ID numbers,
    phones and addresses in full, for their signatures: allowed to who may reveal parties'
    details there, and recorded each time."""
    dispute = Dispute.objects.select_related("grid").get(pk=dispute.pk)
    check_scope(actor, dispute, "view", path=dispute.grid.path)
    check_scope(actor, DisputeParty(), "reveal", path=dispute.grid.path)
    agreement = Agreement.objects.filter(dispute=dispute, oral=False).first()
    if agreement is None:
        raise ValidationError({"agreement": gettext("This dispute has no written agreement")})
    audit.record(
        actor=actor,
        action="fieldwork.agreement.printed",
        target=agreement,
        node=dispute.grid,
        after={"parties": dispute.parties.count()},
    )
    return agreement
