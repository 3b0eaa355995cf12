"""Grids from a GeoJSON file (``wangge import-grids``): every feature checked first — a valid
polygon, inside its parent, not overlapping a sibling of its kind — then all written, or
none; the buildings of the communities touched put in their grids again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import shapely
from django.db import transaction
from django.utils.translation import gettext, pgettext

from wangge.core.services import allowed
from wangge.territory import geo, geometry
from wangge.territory.choices import CRS, GRID_KINDS, NodeKind
from wangge.territory.models import Node
from wangge.territory.services.buildings import reassign_buildings
from wangge.territory.services.nodes import check_code, check_parent, create_node, update_node

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
