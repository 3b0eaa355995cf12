"""Buildings, their units and dwellings: placed in the grid their point lies in, changed, and
put in their grids again when boundaries are redrawn; what lives in them follows through
``events.BUILDINGS_MOVED``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit, events
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope
from wangge.territory import geo
from wangge.territory.choices import CRS
from wangge.territory.locate import get_index
from wangge.territory.models import Building, BuildingTag, Dwelling, Node, Unit

if TYPE_CHECKING:
    from wangge.accounts.models import User


MOVED_BY_BOUNDARIES = "grid boundaries changed"


def building_snapshot(building: Building) -> dict:
    data = audit.snapshot(building)
    if building.pk:
        data["tags"] = sorted(building.tags.values_list("code", flat=True))
    return data


def resolve_grid(*, lng: float | None, lat: float | None, grid: Node | None) -> Node:
    """The grid a point lies in (most specific), checked against ``grid`` when given."""
    if lng is None or lat is None:
        if grid is None:
            raise ValidationError({"grid": gettext("Give the grid or the coordinates")})
        return grid
    located = int(get_index().locate_many([lng], [lat])[0])
    if grid is None:
        if located < 0:
            raise ValidationError({"lng": gettext("The place is in no grid")})
        return Node.objects.get(pk=located)
    if located < 0 or not Node.objects.get(pk=located).path.startswith(grid.path):
        raise ValidationError(
            {"lng": gettext("The place is not in “%(grid)s”") % {"grid": grid.name}}
        )
    return Node.objects.get(pk=located)


@transaction.atomic
def create_building(
    *,
    actor: User | None,
    name: str,
    grid: Node | None = None,
    compound: str = "",
    address: str = "",
    lng: float | None = None,
    lat: float | None = None,
    crs: str = CRS.WGS84,
    floors: int | None = None,
    built_year: int | None = None,
    tags: Sequence[BuildingTag] = (),
    units: int = 0,
    rooms_per_floor: int = 0,
    reason: str = "",
) -> Building:
    """Add a building at a point (placed in the grid containing it) with its dwellings."""
    if lng is not None and lat is not None:
        lng, lat = (float(v) for v in geo.to_wgs84(lng, lat, crs))
    grid = resolve_grid(lng=lng, lat=lat, grid=grid)
    check_scope(actor, Building(), "add", path=grid.path)
    if not name.strip():
        raise ValidationError({"name": gettext("The building's name may not be empty")})
    if Building.objects.filter(grid=grid, compound=compound, name=name).exists():
        raise ValidationError(
            {
                "name": gettext("The grid has a building “%(name)s” already")
                % {"name": f"{compound}{name}"}
            }
        )
    building = Building.objects.create(
        grid=grid,
        name=name.strip(),
        compound=compound,
        address=address,
        lng=lng,
        lat=lat,
        floors=floors,
        built_year=built_year,
    )
    if tags:
        building.tags.set(tags)
    if units and floors and rooms_per_floor:
        _add_dwellings(
            building=building, units=units, floors=floors, rooms_per_floor=rooms_per_floor
        )
    audit.record(
        actor=actor,
        action="territory.building.created",
        target=building,
        node=grid,
        after=building_snapshot(building),
        reason=reason,
    )
    return building


def _add_dwellings(*, building: Building, units: int, floors: int, rooms_per_floor: int) -> int:
    """Create units 1..n and rooms 101, 102 … on every floor (the usual numbering)."""
    created = 0
    for number in range(1, units + 1):
        unit, _ = Unit.objects.get_or_create(building=building, number=number)
        existing = set(unit.dwellings.values_list("number", flat=True))
        new = [
            Dwelling(building=building, unit=unit, floor=floor, number=f"{floor}{room:02d}")
            for floor in range(1, floors + 1)
            for room in range(1, rooms_per_floor + 1)
            if f"{floor}{room:02d}" not in existing
        ]
        Dwelling.objects.bulk_create(new)
        created += len(new)
    return created


@transaction.atomic
def update_building(
    *, actor: User | None, building: Building, reason: str = "", **changes: Any
) -> Building:
    """Change a building's fields; a new point moves it (and its households) to its grid."""
    check_scope(actor, building, "change", path=building.grid.path)
    before = building_snapshot(building)
    tags = changes.pop("tags", None)
    crs = changes.pop("crs", CRS.WGS84)
    allowed = {"name", "compound", "address", "lng", "lat", "floors", "built_year"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({key: gettext("This field cannot be changed") for key in unknown})
    if "lng" in changes or "lat" in changes:
        lng = changes.get("lng", building.lng)
        lat = changes.get("lat", building.lat)
        if lng is not None and lat is not None:
            changes["lng"], changes["lat"] = (float(v) for v in geo.to_wgs84(lng, lat, crs))
    for key, value in changes.items():
        setattr(building, key, value)
    old_grid = building.grid
    if building.lng is not None and building.lat is not None:
        building.grid = resolve_grid(lng=building.lng, lat=building.lat, grid=None)
    check_scope(actor, building, "change", path=building.grid.path)
    after = audit.snapshot(building)
    after["tags"] = sorted(t.code for t in tags) if tags is not None else before["tags"]
    if after == before:
        return building  # nothing changes, nothing to record
    building.save()
    if tags is not None:
        building.tags.set(tags)
    audit.record(
        actor=actor,
        action="territory.building.updated",
        target=building,
        node=building.grid,
        before=before,
        after=after,
        reason=reason,
    )
    if building.grid_id != old_grid.pk:
        events.emit(
            events.BUILDINGS_MOVED, actor=actor, moves={building.pk: building.grid}, reason=reason
        )
    return building


@transaction.atomic
def reassign_buildings(*, actor: User | None, communities: Iterable[Node]) -> int:
    """After grid boundaries change, put every building of ``communities`` in its grid again
    (what lives in them follows: ``events.BUILDINGS_MOVED``)."""
    index = get_index()
    paths = [community.path for community in communities]
    if not paths:
        return 0
    buildings = []
    for path in paths:
        buildings += list(
            Building.objects.filter(grid__path__startswith=path, lng__isnull=False)
            .select_related("grid")
            .only("id", "name", "compound", "lng", "lat", "grid")
        )
    if not buildings:
        return 0
    located = index.locate_many([b.lng for b in buildings], [b.lat for b in buildings])
    grids = Node.objects.in_bulk({int(pk) for pk in located if pk >= 0})
    moves = {}
    recorded = []
    for building, grid_id in zip(buildings, located, strict=True):
        if grid_id < 0 or grid_id == building.grid_id:
            continue
        new_grid = grids[int(grid_id)]
        recorded.append(
            audit.event(
                actor=actor,
                action="territory.building.moved",
                target=building,
                node=new_grid,
                before={"grid_id": building.grid_id},
                after={"grid_id": new_grid.pk},
                reason=MOVED_BY_BOUNDARIES,
            )
        )
        Building.objects.filter(pk=building.pk).update(grid=new_grid)
        moves[building.pk] = new_grid
    audit.record_many(recorded)
    if moves:
        events.emit(events.BUILDINGS_MOVED, actor=actor, moves=moves, reason=MOVED_BY_BOUNDARIES)
    return len(moves)
