"""Buildings from spreadsheets, and back out again."""

from __future__ import annotations

from functools import cached_property
from types import SimpleNamespace

from django.db.models import Count
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

from wangge.core.imports import FirstRows, Importer, by_id, changed_values, register
from wangge.core.inputs import limit_of
from wangge.core.services import BulkResult, allowed
from wangge.core.tabular import (
    ID_HEADER,
    Column,
    TableSpec,
    choice,
    decimal_number,
    integer,
    split_list,
)
from wangge.territory import geo, services
from wangge.territory.choices import CRS
from wangge.territory.filters import BuildingFilter
from wangge.territory.locate import get_index
from wangge.territory.models import (
    Building,
    BuildingTag,
    Dwelling,
    Node,
    Unit,
)

# Row errors several importers give.
OUTSIDE_GRIDS = gettext_noop(
    "These coordinates are in no grid (check the coordinate system, and that longitude comes"
    " before latitude)"
)
OTHER_GRID = gettext_noop("The coordinates are in grid “%(grid)s”, not in the grid of the code")
OUT_OF_REACH = gettext_noop("Grid “%(grid)s” is outside the places you work on")
NO_GRID = gettext_noop("There is no grid %(code)s")

CRS_NAMES = {
    "WGS-84": CRS.WGS84,
    "WGS84": CRS.WGS84,
    "wgs84": CRS.WGS84,
    "GPS": CRS.WGS84,
    "CGCS2000": CRS.WGS84,
    "天地图": CRS.WGS84,
    "GCJ-02": CRS.GCJ02,
    "GCJ02": CRS.GCJ02,
    "gcj02": CRS.GCJ02,
    "高德": CRS.GCJ02,
    "腾讯": CRS.GCJ02,
    "BD-09": CRS.BD09,
    "BD09": CRS.BD09,
    "bd09": CRS.BD09,
    "百度": CRS.BD09,
}


def grids_by_code(parsed) -> dict[str, Node]:
    """The grids the rows name in their ``grid_code`` column (网格编码), by code."""
    codes = {row["grid_code"] for _n, row in parsed.rows if row.get("grid_code")}
    return {node.code: node for node in Node.objects.grids().filter(code__in=codes)}


def locate_rows(parsed) -> dict[int, tuple[float, float, Node | None]]:
    """Row number → (longitude, latitude in WGS-84, the grid the point lies in or ``None``)
    for every row with both coordinates, found in one batch (``lng``, ``lat``, ``crs``)."""
    points = []
    for number, row in parsed.rows:
        if row.get("lng") is None or row.get("lat") is None:
            continue
        lng, lat = row["lng"], row["lat"]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            points.append((number, lng, lat, False))
            continue
        lng, lat = geo.to_wgs84(lng, lat, row.get("crs") or CRS.WGS84)
        points.append((number, float(lng), float(lat), True))
    if not points:
        return {}
    inside = [p for p in points if p[3]]
    hits = get_index().locate_many([p[1] for p in inside], [p[2] for p in inside])
    nodes = Node.objects.in_bulk({int(hit) for hit in hits if hit >= 0})
    located = {p[0]: (p[1], p[2], None) for p in points}
    for (number, lng, lat, _ok), hit in zip(inside, hits, strict=True):
        located[number] = (lng, lat, nodes.get(int(hit)))
    return located


@register
class BuildingImporter(Importer):
    kind = "buildings"
    model = Building
    filterset_class = BuildingFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Buildings"),
            columns=[
                Column(ID_HEADER, "id", parse=lambda v: integer(v, minimum=1)),
                Column("网格编码", "grid_code", limit=limit_of(Node, "code")),
                Column("小区", "compound", limit=limit_of(Building, "compound")),
                Column(
                    "楼栋名称",
                    "name",
                    required=True,
                    aliases=("楼栋",),
                    limit=limit_of(Building, "name"),
                ),
                Column("地址", "address", limit=limit_of(Building, "address")),
                Column("经度", "lng", parse=decimal_number),
                Column("纬度", "lat", parse=decimal_number),
                Column("坐标系", "crs", parse=choice(CRS_NAMES, "坐标系")),
                Column("层数", "floors", parse=lambda v: integer(v, minimum=1, maximum=200)),
                Column(
                    "建成年份", "built_year", parse=lambda v: integer(v, minimum=1800, maximum=2100)
                ),
                Column("单元数", "units", parse=lambda v: integer(v, minimum=0, maximum=50)),
                Column(
                    "每层户数", "rooms_per_floor", parse=lambda v: integer(v, minimum=0, maximum=40)
                ),
                Column("标签", "tags", parse=split_list),
            ],
        )

    def look_up(self, parsed, actor):
        tags = {}
        for tag in BuildingTag.objects.all():
            tags[tag.name] = tag
            tags[tag.code] = tag
        existing = Building.objects.restrict(actor, "change").select_related("grid")
        return SimpleNamespace(
            actor=actor,
            present=parsed.present,
            existing=by_id(existing.prefetch_related("tags"), parsed),
            grids=grids_by_code(parsed),
            tags=tags,
            located=locate_rows(parsed),
            names=FirstRows(),
        )

    def plan_row(self, plan, outcome):
        building, values, path = outcome
        if building is None:
            plan.take(None, values, path)
            return
        plan.paths.add(path)
        changes = changed_values(building, {k: v for k, v in values.items() if k != "tags"})
        if "tags" in values and {t.pk for t in values["tags"]} != {
            t.pk for t in building.tags.all()
        }:
            changes["tags"] = values["tags"]
        if changes:
            plan.updates.append((building, changes))
        else:
            plan.unchanged += 1

    def check_row(self, number, row, found, problems):
        building = None
        if row.get("id"):
            building = found.existing.get(row["id"])
            if building is None:
                problems[ID_HEADER] = gettext(
                    "No building with ID %(id)s in the places you work on"
                ) % {"id": row["id"]}
        row_tags = []
        for name in row.get("tags") or []:
            if name not in found.tags:
                problems["标签"] = gettext("Unknown building tag “%(name)s”") % {"name": name}
            else:
                row_tags.append(found.tags[name])
        if (row.get("lng") is None) != (row.get("lat") is None):
            problems["经度" if row.get("lng") is None else "纬度"] = gettext(
                "Give both the longitude and the latitude"
            )
        grid = found.grids.get(row.get("grid_code")) if row.get("grid_code") else None
        if row.get("grid_code") and grid is None:
            problems["网格编码"] = gettext(NO_GRID) % {"code": row["grid_code"]}
        lng = lat = None
        if number in found.located:
            lng, lat, point_grid = found.located[number]
            if point_grid is None:
                problems["经度"] = gettext(OUTSIDE_GRIDS)
            elif grid is not None and not point_grid.path.startswith(grid.path):
                problems["经度"] = gettext(OTHER_GRID) % {"grid": point_grid.name}
            else:
                grid = point_grid
        if problems.keys() & {ID_HEADER, "网格编码", "经度", "纬度"}:
            return None  # where the building is cannot be known: nothing more to check
        if grid is None:
            grid = building.grid if building else None
        if grid is None:
            problems["网格编码"] = gettext("Give the grid code or the coordinates")
            return None
        action = "change" if building else "add"
        if not allowed(found.actor, Building, action, path=grid.path):
            problems["网格编码"] = gettext(OUT_OF_REACH) % {"grid": grid.name}
        name = row.get("name")
        if not name:
            return None  # the name's own cell has its error
        earlier = found.names.earlier((grid.pk, row.get("compound", ""), name), number)
        if earlier is not None:
            problems["楼栋名称"] = gettext(
                "A building of the same name in the same grid as row %(row)s"
            ) % {"row": earlier}
        # In an update, a blank cell keeps what is stored.
        values = {"name": name}
        for field in ("compound", "address", "floors", "built_year"):
            if row.get(field) not in (None, ""):
                values[field] = row[field]
        if lng is not None:
            values.update(lng=lng, lat=lat)
        if row_tags or (building is None and "tags" in found.present):
            values["tags"] = row_tags
        compound = values.get("compound", building.compound if building else "")
        clash = Building.objects.filter(grid=grid, compound=compound, name=name)
        if building is not None:
            clash = clash.exclude(pk=building.pk)
        if "楼栋名称" not in problems and clash.exists():
            problems["楼栋名称"] = gettext("The grid has a building “%(name)s” already") % {
                "name": f"{compound}{name}"
            }
        if building is None:
            values.update(
                grid=grid,
                units=row.get("units") or 0,
                rooms_per_floor=row.get("rooms_per_floor") or 0,
            )
        return building, values, grid.path

    def apply(self, plan, actor, progress):
        result = BulkResult()
        for values in plan.creates:
            services.create_building(actor=actor, reason="import", **values)
            result.created += 1
        for building, values in plan.updates:
            services.update_building(actor=actor, building=building, reason="import", **values)
            result.updated += 1
        return result

    def export_queryset(self, actor):
        return (
            Building.objects.restrict(actor, "view")
            .select_related("grid")
            .prefetch_related("tags")
            .order_by("grid__path", "compound", "name")
        )

    def export_rows(self, queryset, actor):
        units = dict(
            Unit.objects.filter(building__in=queryset.values("pk"))
            .values("building")
            .annotate(count=Count("id"))
            .values_list("building", "count")
        )
        # Rooms on the first floor of the first unit: how the building was laid out.
        rooms = dict(
            Dwelling.objects.filter(building__in=queryset.values("pk"), unit__number=1, floor=1)
            .values("building")
            .annotate(count=Count("id"))
            .values_list("building", "count")
        )
        for building in queryset.iterator(chunk_size=2000):
            yield {
                "id": building.pk,
                "grid_code": building.grid.code,
                "compound": building.compound,
                "name": building.name,
                "address": building.address,
                "lng": building.lng,
                "lat": building.lat,
                "crs": "WGS-84" if building.lng is not None else "",
                "floors": building.floors,
                "built_year": building.built_year,
                "units": units.get(building.pk, ""),
                "rooms_per_floor": rooms.get(building.pk, ""),
                "tags": "；".join(tag.name for tag in building.tags.all()),
            }
