"""Disputes as the API, the pages, the phone and the export show them: the parties' personal
data masked everywhere (names, phones, ID numbers, addresses) — in full only on the printed
agreement (``services.print_agreement``, recorded) — and the look-ups they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from wangge.core.crypto import mask_id_number, mask_phone
from wangge.core.scope import get_scope
from wangge.fieldwork.models import (
    Dispute,
    DisputeParty,
    DisputeState,
    FollowUp,
    MediationSession,
    mask_address,
    mask_name,
)

if TYPE_CHECKING:
    from wangge.accounts.models import User


def visible(user) -> QuerySet[Dispute]:
    """The disputes ``user`` may see, with what their pages and answers show."""
    return (
        Dispute.objects.restrict(user, "view")
        .select_related("grid__parent", "kind", "case", "campaign")
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=DisputeParty.objects.select_related(
                    "person__household__dwelling__building", "person__household__dwelling__unit"
                ).order_by("sort", "pk"),
            ),
            "mediators",
        )
    )


def mine(user) -> QuerySet[Dispute]:
    """The disputes a mediator or grid worker works on: theirs as mediator, those they took
    in, and the open ones of their grids (for a grid worker: their places are their grids)."""
    return (
        visible(user)
        .filter(
            Q(mediators=user) | Q(created_by=user) | Q(state__in=[DisputeState.INTAKE, "mediating"])
        )
        .distinct()
    )


def party_full(party: DisputeParty) -> dict:
    """A party's details in full: only for the printed agreement."""
    person = party.person
    if person is not None:
        address = _person_address(person)
        return {
            "name": person.name,
            "phone": person.phone,
            "id_number": person.id_number,
            "address": address,
        }
    return {
        "name": party.name,
        "phone": party.phone,
        "id_number": party.id_number,
        "address": party.address,
    }


def _person_address(person) -> str:
    household = person.household
    if household is None or household.dwelling is None:
        return ""
    dwelling = household.dwelling
    building = dwelling.building
    place = building.address or f"{building.compound}{building.name}"
    return f"{place} {dwelling.label}"


def party_data(party: DisputeParty) -> dict:
    """A party, masked."""
    full = party_full(party)
    return {
        "id": party.pk,
        "role": party.role,
        "role_label": str(party.get_role_display()),
        "registered": party.person_id is not None,
        "person_id": party.person_id,
        "name": mask_name(full["name"]),
        "phone": mask_phone(full["phone"]),
        "id_number": mask_id_number(full["id_number"]),
        "address": mask_address(full["address"]),
    }


def _user(user) -> dict:
    return {"id": user.pk, "name": user.name}


def dispute_data(dispute: Dispute) -> dict:
    """A dispute as lists show it."""
    parties = list(dispute.parties.all())
    return {
        "id": dispute.pk,
        "number": dispute.number,
        "title": dispute.title,
        "kind": dispute.kind.code,
        "kind_name": dispute.kind.name,
        "grid_id": dispute.grid_id,
        "grid_code": dispute.grid.code,
        "grid_name": dispute.grid.name,
        "source": dispute.source,
        "source_label": str(dispute.get_source_display()),
        "drive": dispute.drive,
        "campaign_id": dispute.campaign_id,
        "case_id": dispute.case_id,
        "case_number": dispute.case.number if dispute.case_id else "",
        "state": dispute.state,
        "state_label": str(dispute.get_state_display()),
        "received_at": dispute.received_at,
        "outcome_at": dispute.outcome_at,
        "closed_at": dispute.closed_at,
        "mediators": [_user(user) for user in dispute.mediators.all()],
        "parties": [party_data(party) for party in parties],
    }


def session_data(session: MediationSession) -> dict:
    return {
        "id": session.pk,
        "held_on": session.held_on,
        "place": session.place,
        "record": session.record,
        "present": [party.pk for party in session.present.all()],
        "mediators": [_user(user) for user in session.mediators.all()],
        "recorded_by": session.recorded_by.name if session.recorded_by_id else "",
    }


def follow_up_data(follow_up: FollowUp) -> dict:
    return {
        "id": follow_up.pk,
        "visited_on": follow_up.visited_on,
        "visitor": follow_up.visitor.name if follow_up.visitor_id else "",
        "carried_out": follow_up.carried_out,
        "satisfied": follow_up.satisfied,
        "risk": follow_up.risk,
        "note": follow_up.note,
    }


def agreement_data(dispute: Dispute) -> dict | None:
    agreement = getattr(dispute, "agreement", None)
    if agreement is None:
        return None
    return {
        "id": agreement.pk,
        "oral": agreement.oral,
        "facts": agreement.facts,
        "responsibilities": agreement.responsibilities,
        "terms": agreement.terms,
        "performance": agreement.performance,
        "deadline": agreement.deadline,
        "signed": agreement.signed,
        "signed_on": agreement.signed_on,
    }


def dispute_detail(dispute: Dispute) -> dict:
    """A dispute with its facts, sessions, outcome, agreement and follow-up visits."""
    data = dispute_data(dispute)
    sessions = dispute.sessions.prefetch_related("present", "mediators").select_related(
        "recorded_by"
    )
    data.update(
        {
            "facts": dispute.facts,
            "points": dispute.points,
            "outcome_note": dispute.outcome_note,
            "referred_to": dispute.referred_to,
            "sessions": [session_data(session) for session in sessions],
            "agreement": agreement_data(dispute),
            "follow_ups": [
                follow_up_data(follow_up)
                for follow_up in dispute.follow_ups.select_related("visitor")
            ],
        }
    )
    return data


def may(user: User, perm: str, dispute: Dispute) -> bool:
    return get_scope(user).allows(perm, dispute.grid.path)


def local_day(moment) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


def in_register(user, grid, name: str) -> list:
    """The people named exactly ``name`` who live in ``grid``'s community (or grid), among
    those ``user`` may see: how a party is picked from the register by name."""
    from wangge.people.models import Person
    from wangge.territory.choices import GRID_KINDS

    place = grid.parent if grid.kind in GRID_KINDS and grid.parent_id else grid
    return list(
        Person.objects.restrict(user, "view")
        .filter(name=name.strip(), grid__path__startswith=place.path, status="active")
        .select_related("grid", "household__dwelling__building", "household__dwelling__unit")
        .order_by("grid__code", "pk")[:20]
    )


def person_choice(person) -> tuple[str, str]:
    """A person of the register as a choice: name, grid, where they live (the door too: the
    register shows it to whoever may see the person)."""
    where = _person_address(person) or person.grid.name
    return str(person.pk), f"{person.name} · {person.grid.name} · {where}"


def case_lines(user, case) -> list:
    """On a case's page: the dispute mediated from it, or a link to take one in from it."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from wangge.cases.related import Related

    scope = get_scope(user)
    if not scope.has_perm("fieldwork.view_dispute"):
        return []
    found = Dispute.objects.restrict(user, "view").filter(case=case).first()
    if found is not None:
        text = f"{found.number} · {found.get_state_display()}"
        return [Related(gettext("Mediation"), text, reverse("dispute-detail", args=[found.pk]))]
    if Dispute.objects.filter(case=case).exists():
        return []  # made by a place the user does not see
    if scope.allows("fieldwork.add_dispute", case.grid.path):
        url = reverse("dispute-new") + f"?case={case.pk}"
        return [Related(gettext("Mediation"), gettext("Take it in as a dispute"), url)]
    return []
