"""Residents moving with their building: households and their members follow a building
territory put in another grid (on ``territory.buildings.moved``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from wangge.core import audit, events
from wangge.core.errors import not_found
from wangge.core.services import allowed
from wangge.people.models import Household, Person
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User


@transaction.atomic
def move_residents(*, actor: User | None, moves: dict[int, Node], reason: str = "") -> int:
    """Households and their members follow their building into the grid it now lies in
    (``moves``: building id → grid), after territory moved the buildings. Each household and
    person whose grid changes is recorded as moved; returns how many households moved."""
    households = list(
        Household.objects.filter(dwelling__building_id__in=list(moves)).values_list(
            "pk", "number", "grid_id", "dwelling__building_id"
        )
    )
    grid_of = {pk: moves[building_id] for pk, _number, _grid, building_id in households}
    for grid in set(grid_of.values()):
        if not allowed(actor, Household, "change", path=grid.path):
            raise not_found()
    members = Person.objects.filter(household_id__in=list(grid_of)).values_list(
        "pk", "name", "grid_id", "household_id"
    )
    rows = [
        *(("people.household", pk, number, grid_id, pk) for pk, number, grid_id, _b in households),
        *(
            ("people.person", pk, name, grid_id, household)
            for pk, name, grid_id, household in members
        ),
    ]
    recorded = [
        audit.event(
            actor=actor,
            action=f"{kind}.moved",
            target_ref=(kind, pk, text),
            node=grid_of[household],
            before={"grid_id": grid_id},
            after={"grid_id": grid_of[household].pk},
            reason=reason,
        )
        for kind, pk, text, grid_id, household in rows
        if grid_id != grid_of[household].pk
    ]
    by_grid: dict[Node, list[int]] = {}
    for household, grid in grid_of.items():
        by_grid.setdefault(grid, []).append(household)
    for grid, ids in by_grid.items():
        Person.objects.filter(household_id__in=ids).update(grid=grid)
        Household.objects.filter(pk__in=ids).update(grid=grid)
    audit.record_many(recorded)
    moved = [
        pk
        for kind, pk, _t, grid_id, household in rows
        if kind == "people.person" and grid_id != grid_of[household].pk
    ]
    if moved:
        events.emit(events.PERSONS_CHANGED, actor=actor, person_ids=moved)
    return sum(1 for event in recorded if event.target_type == "people.household")
