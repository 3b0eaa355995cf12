"""Visits to a household (提户知人): a home visit, a call or a meeting; where the visitor was
and which case it was about."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wangge.core import audit, events, inputs
from wangge.core.errors import ValidationError
from wangge.core.services import allowed, check_scope, idempotent
from wangge.people.choices import VisitKind
from wangge.people.models import Household, Visit
from wangge.people.services.checks import check_note

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.cases.models import Case


def check_position(
    lng: float | str | None, lat: float | str | None, errors: dict
) -> tuple[float | None, float | None]:
    """A WGS-84 point given whole (both numbers, finite, on the globe) or not at all."""
    if lng is None and lat is None:
        return None, None
    if lng is None or lat is None:
        errors["lng" if lng is None else "lat"] = gettext(
            "Give both the longitude and the latitude, or neither"
        )
        return None, None
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        errors["lng"] = gettext("The position is not a pair of numbers")
        return None, None
    if not (math.isfinite(lng) and -180 <= lng <= 180):
        errors["lng"] = gettext("The longitude must be from -180 to 180")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        errors["lat"] = gettext("The latitude must be from -90 to 90")
    return round(lng, 7), round(lat, 7)


@transaction.atomic
def record_visit(
    *,
    actor: User | None,
    household: Household,
    kind: str = VisitKind.HOME,
    visited_at: datetime.datetime | None = None,
    notes: str = "",
    lng: float | None = None,
    lat: float | None = None,
    case: Case | None = None,
    idempotency_key: str | None = None,
) -> Visit:
    """A home visit, phone call or meeting with a household (提户知人): when, how, what was
    said, where the visitor's phone was (if they gave it) and the case it was about (one the
    actor may see)."""
    check_scope(actor, Visit(), "add", path=household.grid.path)
    visited_at = visited_at or timezone.now()
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)  # a phone's local time: Asia/Shanghai
    errors = {}
    if kind not in VisitKind.values:
        errors["kind"] = gettext("Unknown kind of visit")
    inputs.check_lengths(errors, Visit, {"notes": notes})
    if visited_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["visited_at"] = gettext("The visit's time cannot be later than now")
    notes = check_note(notes, errors, "notes")
    lng, lat = check_position(lng, lat, errors)
    if case is not None and not allowed(actor, type(case), "view", path=case.grid.path):
        errors["case"] = gettext("That case is not one you can see")
    if errors:
        raise ValidationError(errors)

    def create() -> Visit:
        visit = Visit.objects.create(
            household=household,
            grid=household.grid,
            visitor=actor,
            kind=kind,
            visited_at=visited_at,
            notes=notes,
            lng=lng,
            lat=lat,
            case=case,
        )
        audit.record(
            actor=actor,
            action="people.visit.created",
            target=visit,
            node=household.grid,
            after=audit.snapshot(visit),
        )
        events.emit(events.VISITS_RECORDED, actor=actor, household_ids=[household.pk])
        return visit

    visit, _created = idempotent(
        key=idempotency_key, actor=actor, operation="visit.create", model=Visit, create=create
    )
    return visit
