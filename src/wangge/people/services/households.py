"""Households: registered in a grid (or in a home, which gives the grid), changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit, events, inputs
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope, idempotent
from wangge.people.choices import ResidenceType
from wangge.people.models import Household
from wangge.people.services.checks import check_note
from wangge.territory.models import Dwelling, Node

if TYPE_CHECKING:
    from wangge.accounts.models import User


def next_household_number(grid: Node) -> str:
    prefix = f"{grid.code}-"
    numbers = Household.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    top = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{top + 1:04d}"


def _household_grid(grid: Node | None, dwelling: Dwelling | None) -> Node:
    if dwelling is not None:
        return dwelling.building.grid
    if grid is None:
        raise ValidationError({"grid": gettext("Give the grid or the home")})
    if not grid.is_grid:
        raise ValidationError({"grid": gettext("A household must be registered in a grid")})
    return grid


@transaction.atomic
def create_household(
    *,
    actor: User | None,
    grid: Node | None = None,
    dwelling: Dwelling | None = None,
    number: str = "",
    residence_type: str = ResidenceType.REGISTERED,
    note: str = "",
    idempotency_key: str | None = None,
    reason: str = "",
) -> Household:
    grid = _household_grid(grid, dwelling)
    check_scope(actor, Household(), "add", path=grid.path)
    errors: dict = {}
    if residence_type not in ResidenceType.values:
        errors["residence_type"] = gettext("Unknown kind of residence")
    inputs.check_lengths(errors, Household, {"number": number})
    note = check_note(note, errors)
    if errors:
        raise ValidationError(errors)

    def create() -> Household:
        household = Household.objects.create(
            number=number or next_household_number(grid),
            grid=grid,
            dwelling=dwelling,
            residence_type=residence_type,
            note=note,
        )
        audit.record(
            actor=actor,
            action="people.household.created",
            target=household,
            node=grid,
            after=audit.snapshot(household),
            reason=reason,
        )
        return household

    if number and Household.objects.filter(number=number).exists():
        raise ValidationError(
            {"number": gettext("Household number %(number)s exists already") % {"number": number}}
        )
    household, _created = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="household.create",
        model=Household,
        create=create,
    )
    return household


@transaction.atomic
def update_household(
    *, actor: User | None, household: Household, reason: str = "", **changes: Any
) -> Household:
    check_scope(actor, household, "change", path=household.grid.path)
    before = audit.snapshot(household)
    allowed = {"dwelling", "residence_type", "note", "grid"}
    if unknown := set(changes) - allowed:
        raise ValidationError({key: gettext("This field cannot be changed") for key in unknown})
    errors: dict = {}
    if "residence_type" in changes and changes["residence_type"] not in ResidenceType.values:
        errors["residence_type"] = gettext("Unknown kind of residence")
    if "note" in changes:
        changes["note"] = check_note(changes["note"], errors)
    if errors:
        raise ValidationError(errors)
    for key, value in changes.items():
        setattr(household, key, value)
    household.grid = _household_grid(household.grid, household.dwelling)
    check_scope(actor, household, "change", path=household.grid.path)
    if audit.snapshot(household) == before:
        return household  # nothing changes, nothing to record
    household.save()
    moved = list(household.members.exclude(grid=household.grid).values_list("pk", flat=True))
    household.members.filter(pk__in=moved).update(grid=household.grid)
    audit.record(
        actor=actor,
        action="people.household.updated",
        target=household,
        node=household.grid,
        before=before,
        after=audit.snapshot(household),
        reason=reason,
    )
    if moved:
        events.emit(events.PERSONS_CHANGED, actor=actor, person_ids=moved)
    return household
