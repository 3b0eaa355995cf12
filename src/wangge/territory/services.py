"""Writing the territory: nodes (divisions and grids), buildings, units and dwellings.

Every function here is keyword-only, runs in a transaction, checks the actor's scope and
writes its audit event. ``actor=None`` is the system (an operator at the CLI, the demo).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shapely
from django.db import transaction
from django.utils.translation import gettext, pgettext
from shapely.geometry.base import BaseGeometry

from wangge.core import audit, events
from wangge.core.errors import ValidationError
from wangge.core.services import allowed, bump_counter, check_scope
from wangge.territory import geo, geometry
from wangge.territory.choices import (
    ALLOWED_PARENTS,
    CODE_LENGTHS,
    CRS,
    GRID_KINDS,
    NodeKind,
)
from wangge.territory.locate import GRID_VERSION, get_index
from wangge.territory.models import Building, BuildingTag, Dwelling, Node, Unit

if TYPE_CHECKING:
    from wangge.accounts.models import User

KIND_ALIASES = {
    "区": NodeKind.DISTRICT,
    "县": NodeKind.DISTRICT,
    "街道": NodeKind.STREET,
    "镇": NodeKind.TOWN,
    "乡": NodeKind.TOWNSHIP,
    "社区": NodeKind.COMMUNITY,
    "村": NodeKind.VILLAGE,
    "基础网格": NodeKind.GRID,
    "网格": NodeKind.GRID,
    "basic": NodeKind.GRID,
    "专属网格": NodeKind.DEDICATED_GRID,
    "dedicated": NodeKind.DEDICATED_GRID,
    "微网格": NodeKind.MICRO_GRID,
    "micro": NodeKind.MICRO_GRID,
    **{kind.value: kind for kind in NodeKind},
}
# Kind by code length when a feature does not say.
KIND_BY_LENGTH = {
    6: NodeKind.DISTRICT,
    9: NodeKind.STREET,
    12: NodeKind.COMMUNITY,
    15: NodeKind.GRID,
    18: NodeKind.MICRO_GRID,
}
# Feature properties, in English or in Chinese.
PROPERTY_NAMES = {
    "code": ("code", "编码"),
    "name": ("name", "名称"),
    "kind": ("kind", "类型"),
    "parent": ("parent", "上级编码"),
}


def node_snapshot(node: Node) -> dict:
    data = audit.snapshot(node)
    for key in ("min_lng", "min_lat", "max_lng", "max_lat", "path", "depth"):
        data.pop(key, None)
    if node.geometry:
        # Boundaries are large: the log keeps their fingerprint and area, not the points.
        text = json.dumps(node.geometry, sort_keys=True).encode()
        data["geometry"] = {
            "sha1": hashlib.sha1(text).hexdigest(),
            "area_m2": round(geometry.area_m2(shapely.geometry.shape(node.geometry))),
        }
    return data


def check_code(kind: str, code: str, parent: Node | None) -> str | None:
    """The reason ``code`` does not fit ``kind`` under ``parent``, or ``None``."""
    expected = CODE_LENGTHS[kind]
    if not code.isdigit() or len(code) != expected:
        return gettext("The code should be %(n)s digits") % {"n": expected}
    if parent is not None and CODE_LENGTHS.get(parent.kind) and not code.startswith(parent.code):
        return gettext("The code should begin with its parent's code %(code)s") % {
            "code": parent.code
        }
    return None


def check_parent(kind: str, parent: Node | None) -> str | None:
    allowed = ALLOWED_PARENTS[kind]
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in allowed:
        above = NodeKind(parent.kind).label if parent is not None else gettext("the top")
        return gettext("A %(kind)s cannot be under %(above)s") % {
            "kind": NodeKind(kind).label,
            "above": above,
        }
    return None


def _place(node: Node, shape: BaseGeometry | None) -> None:
    if shape is None:
        node.geometry = None
        node.min_lng = node.min_lat = node.max_lng = node.max_lat = None
        return
    for key, value in geometry.bbox(shape).items():
        setattr(node, key, value)


def _save_new_node(node: Node) -> None:
    parent_path = node.parent.path if node.parent is not None else "/"
    node.path = f"{parent_path}new-{node.code}/"
    node.depth = parent_path.count("/") - 1
    node.save()
    node.path = f"{parent_path}{node.pk}/"
    Node.objects.filter(pk=node.pk).update(path=node.path)


@transaction.atomic
def create_node(
    *,
    actor: User | None,
    kind: str,
    code: str,
    name: str,
    parent: Node | None = None,
    geometry_json: dict | None = None,
    description: str = "",
    reason: str = "",
) -> Node:
    """Add a division or a grid under ``parent``."""
    check_scope(actor, Node(), "add", path=parent.path if parent else None)
    errors = {}
    if problem := check_parent(kind, parent):
        errors["parent"] = problem
    if problem := check_code(kind, code, parent):
        errors["code"] = problem
    elif Node.objects.filter(code=code).exists():
        errors["code"] = gettext("Code %(code)s exists already") % {"code": code}
    if not name.strip():
        errors["name"] = gettext("The name may not be empty")
    shape = None
    if geometry_json is not None:
        try:
            shape = geometry.parse_polygon(geometry_json)
        except geometry.GeometryError as exc:
            errors["geometry"] = str(exc)
    elif kind in GRID_KINDS:
        errors["geometry"] = gettext("A grid must have its boundary")
    if errors:
        raise ValidationError(errors)
    node = Node(kind=kind, parent=parent, code=code, name=name.strip(), description=description)
    node.geometry = geometry_json
    _place(node, shape)
    _save_new_node(node)
    audit.record(
        actor=actor,
        action="territory.node.created",
        target=node,
        node=node,
        after=node_snapshot(node),
        reason=reason,
    )
    if kind in GRID_KINDS:
        bump_counter(GRID_VERSION)
    return node


@transaction.atomic
def update_node(
    *,
    actor: User | None,
    node: Node,
    name: str | None = None,
    geometry_json: dict | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    reason: str = "",
) -> Node:
    check_scope(actor, node, "change", path=node.path)
    before = node_snapshot(node)
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": gettext("The name may not be empty")})
        node.name = name.strip()
    if description is not None:
        node.description = description
    if is_active is not None:
        node.is_active = is_active
    if geometry_json is not None:
        try:
            shape = geometry.parse_polygon(geometry_json)
        except geometry.GeometryError as exc:
            raise ValidationError({"geometry": str(exc)}) from exc
        node.geometry = geometry_json
        _place(node, shape)
    node.save()
    audit.record(
        actor=actor,
        action="territory.node.updated",
        target=node,
        node=node,
        before=before,
        after=node_snapshot(node),
        reason=reason,
    )
    if node.kind in GRID_KINDS:
        bump_counter(GRID_VERSION)
    return node


# --- Grid import -----------------------------------------------------------------------------


@dataclass
class FeatureProblem:
    feature: int  # 1-based position in the file
    code: str
    message: str

    def __str__(self) -> str:
        if self.code:
            label = gettext("Feature %(n)s (%(code)s)") % {"n": self.feature, "code": self.code}
        else:
            label = gettext("Feature %(n)s") % {"n": self.feature}
        return gettext("%(where)s: %(message)s") % {"where": label, "message": self.message}


@dataclass
class GridImportReport:
    problems: list[FeatureProblem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    buildings_moved: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Candidate:
    index: int
    code: str
    name: str
    kind: str
    parent: Node | None
    geometry: dict | None
    shape: object
    existing: Node | None


def _properties(feature: object) -> dict[str, str]:
    props = (feature.get("properties") if isinstance(feature, dict) else None) or {}
    result = {}
    for key, names in PROPERTY_NAMES.items():
        value = next((props[name] for name in names if props.get(name) not in (None, "")), "")
        result[key] = str(value).strip()
    return result


def _feature_kind(props: dict[str, str]) -> str | None:
    if not props["kind"]:
        return KIND_BY_LENGTH.get(len(props["code"]))
    return KIND_ALIASES.get(props["kind"])


def _read_features(collection: dict, crs: str, report: GridImportReport) -> list[_Candidate]:
    """Parse each feature and find its parent: in the database, or earlier in the file."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        report.problems.append(
            FeatureProblem(0, "", gettext("The file should be a GeoJSON FeatureCollection"))
        )
        return []
    features = [f if isinstance(f, dict) else {} for f in collection.get("features") or []]
    if not features:
        report.problems.append(FeatureProblem(0, "", gettext("The file has no features")))
    props_of = [_properties(feature) for feature in features]
    codes = {props["code"] for props in props_of}
    wanted = codes | {props["parent"] or props["code"][:-3] for props in props_of}
    stored = {node.code: node for node in Node.objects.filter(code__in=wanted - {""})}
    new_nodes = {
        props["code"]: (_feature_kind(props), props["name"] or props["code"])
        for props in props_of
        if props["code"] and props["code"] not in stored
    }
    placeholders: dict[str, Node] = {}

    def find(code: str) -> Node | None:
        """A stored node, or a stand-in for one the file creates (placed under its parent)."""
        if code in stored:
            return stored[code]
        kind, name = new_nodes.get(code, (None, ""))
        if kind is None:
            return None
        if code not in placeholders:
            parent = find(code[:-3]) if kind != NodeKind.DISTRICT else None
            placeholders[code] = Node(
                kind=kind,
                code=code,
                name=name,
                parent=parent,
                # Never saved: the scope check reads its parent's path here, None for a new
                # district (a value the saved field never holds).
                path=parent.path if parent is not None else None,  # type: ignore[misc]
            )
        return placeholders[code]

    seen: set[str] = set()
    candidates = []
    for index, (feature, props) in enumerate(zip(features, props_of, strict=True), start=1):
        code, name = props["code"], props["name"]

        def problem(message: str, index: int = index, code: str = code) -> None:
            report.problems.append(FeatureProblem(index, code, message))

        if not code:
            problem(gettext("No code (properties.code)"))
            continue
        if code in seen:
            problem(gettext("The code comes twice in the file"))
            continue
        seen.add(code)
        kind = _feature_kind(props)
        if kind is None and not props["kind"]:
            problem(
                gettext(
                    "The code has the wrong length (district 6 digits, street 9, community 12,"
                    " grid 15, micro-grid 18)"
                )
            )
            continue
        if kind is None:
            problem(
                gettext("Unknown kind “%(kind)s” (it may be: %(kinds)s)")
                % {
                    "kind": props["kind"],
                    "kinds": pgettext("list separator", ", ").join(
                        word for word in KIND_ALIASES if not word.isascii()
                    ),
                }
            )
            continue
        parent = None
        if kind != NodeKind.DISTRICT:
            parent_code = props["parent"] or code[:-3]
            parent = find(parent_code)
            if parent is None:
                problem(gettext("There is no parent %(code)s") % {"code": parent_code})
                continue
        if message := check_parent(kind, parent) or check_code(kind, code, parent):
            problem(message)
            continue
        if not name:
            problem(gettext("No name (properties.name)"))
            continue
        geometry_json = feature.get("geometry")
        shape = None
        if geometry_json is None and kind not in GRID_KINDS:
            pass  # a division may come without its boundary
        else:
            if crs != CRS.WGS84 and isinstance(geometry_json, dict):
                try:
                    geometry_json = geometry.transform_geometry(
                        geometry_json, lambda lngs, lats: geo.to_wgs84(lngs, lats, crs)
                    )
                except Exception as exc:
                    problem(
                        gettext("The coordinates cannot be converted: %(error)s") % {"error": exc}
                    )
                    continue
            try:
                shape = geometry.parse_polygon(geometry_json)
            except geometry.GeometryError as exc:
                problem(str(exc))
                continue
        existing = stored.get(code)
        if existing is not None and existing.kind != kind:
            problem(
                gettext("The code is the %(kind)s “%(name)s”'s")
                % {"kind": NodeKind(existing.kind).label, "name": existing.name}
            )
            continue
        if existing is not None and existing.parent_id != getattr(parent, "pk", None):
            problem(
                gettext("An import cannot move a place to another parent: change it in the system")
            )
            continue
        candidates.append(
            _Candidate(index, code, name, kind, parent, geometry_json, shape, existing)
        )
    return candidates


def _check_placement(candidates: list[_Candidate], report: GridImportReport) -> None:
    """Each node inside its parent; siblings of the same kind never overlapping."""
    by_code = {c.code: c for c in candidates}
    for candidate in candidates:
        parent = candidate.parent
        if candidate.shape is None or parent is None:
            continue
        parent_shape = None
        if parent.code in by_code:
            parent_shape = by_code[parent.code].shape
        elif parent.geometry:
            parent_shape = shapely.geometry.shape(parent.geometry)
        if parent_shape is None:
            continue
        outside = geometry.outside_m2(candidate.shape, parent_shape)
        if outside > geometry.AREA_TOLERANCE_M2:
            where = NodeKind(parent.kind).label
            report.problems.append(
                FeatureProblem(
                    candidate.index,
                    candidate.code,
                    gettext(
                        "Lies outside the boundary of its %(kind)s “%(name)s” by about"
                        " %(area)s square metres"
                    )
                    % {"kind": where, "name": parent.name, "area": f"{outside:.0f}"},
                )
            )
    # Siblings: the file's nodes against each other and against the stored ones they keep.
    groups: dict[tuple[str, str], list] = {}
    for candidate in candidates:
        if candidate.shape is not None:
            key = (candidate.parent.code if candidate.parent else "", candidate.kind)
            groups.setdefault(key, []).append(
                (candidate.code, candidate.name, candidate.shape, candidate)
            )
    for (parent_code, kind), members in groups.items():
        stored = Node.objects.filter(
            parent__code=parent_code or None, kind=kind, is_active=True, geometry__isnull=False
        ).exclude(code__in=[code for code, *_ in members])
        everyone = members + [
            (node.code, node.name, shapely.geometry.shape(node.geometry), None) for node in stored
        ]
        tree = shapely.STRtree([item[2] for item in everyone])
        for position, (code, _name, shape, candidate) in enumerate(everyone):
            if candidate is None:
                continue
            for other in tree.query(shape, predicate="intersects"):
                other_code, other_name, other_shape, other_candidate = everyone[other]
                if other == position or (other_candidate is not None and other > position):
                    continue  # each overlap is reported once, on the later feature
                area = geometry.overlap_m2(shape, other_shape)
                if area > geometry.AREA_TOLERANCE_M2:
                    report.problems.append(
                        FeatureProblem(
                            candidate.index,
                            code,
                            gettext(
                                "Overlaps the %(kind)s %(code)s “%(name)s” by about %(area)s"
                                " square metres"
                            )
                            % {
                                "kind": NodeKind(kind).label,
                                "code": other_code,
                                "name": other_name,
                                "area": f"{area:.0f}",
                            },
                        )
                    )
    report.problems.sort(key=lambda p: (p.feature, p.message))


def import_grids(
    *, actor: User | None, collection: dict, crs: str = CRS.WGS84, dry_run: bool = False
) -> GridImportReport:
    """Create or update grids (and, where the file has them, the divisions above them) from
    a GeoJSON FeatureCollection: all of them, or none.

    Every feature is checked first (a valid polygon, inside its parent, not overlapping a
    sibling of its kind); if any fails, nothing is written and the report names each one.
    """
    report = GridImportReport(dry_run=dry_run)
    candidates = _read_features(collection, crs, report)
    # Features that parsed are checked further, so one report lists every problem.
    for candidate in candidates:
        parent_path = candidate.parent.path if candidate.parent is not None else None
        if not allowed(actor, Node, "import", path=parent_path):
            report.problems.append(
                FeatureProblem(
                    candidate.index,
                    candidate.code,
                    gettext("The parent is outside the places you work on"),
                )
            )
    _check_placement(candidates, report)
    if report.problems or dry_run:
        report.created = sum(1 for c in candidates if c.existing is None)
        report.updated = len(candidates) - report.created
        return report
    with transaction.atomic():
        # Parents first (codes grow by three digits a level), so the file's new nodes
        # find theirs.
        for candidate in sorted(candidates, key=lambda c: len(c.code)):
            if candidate.existing is None:
                parent = candidate.parent
                if parent is not None and parent.pk is None:
                    parent = Node.objects.get(code=parent.code)
                create_node(
                    actor=actor,
                    kind=candidate.kind,
                    code=candidate.code,
                    name=candidate.name,
                    parent=parent,
                    geometry_json=candidate.geometry,
                    reason="import-grids",
                )
                report.created += 1
            else:
                update_node(
                    actor=actor,
                    node=candidate.existing,
                    name=candidate.name,
                    geometry_json=candidate.geometry,
                    reason="import-grids",
                )
                report.updated += 1
        # Community codes are the first twelve digits of everything beneath them.
        communities = {c.code[:12] for c in candidates if len(c.code) >= 12}
        report.buildings_moved = reassign_buildings(
            actor=actor, communities=Node.objects.filter(code__in=communities)
        )
    return report


# --- Buildings -------------------------------------------------------------------------------


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
