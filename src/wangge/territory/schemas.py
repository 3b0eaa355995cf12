from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from wangge.core.schemas import NodeBrief
from wangge.territory.choices import CRS
from wangge.territory.models import Building, Dwelling, Node


class NodeOut(NodeBrief):
    kind_label: str
    parent_id: int | None
    depth: int
    is_active: bool

    @staticmethod
    def resolve_kind_label(node: Node) -> str:
        return str(node.get_kind_display())


class GridOut(NodeOut):
    geometry: dict[str, Any] | None
    bbox: list[float] | None

    @staticmethod
    def resolve_bbox(node: Node) -> list[float] | None:
        corners = [node.min_lng, node.min_lat, node.max_lng, node.max_lat]
        bbox = [corner for corner in corners if corner is not None]
        return bbox if len(bbox) == 4 else None


class LocateOut(Schema):
    lng: float
    lat: float
    crs: CRS
    wgs84: list[float]
    grid: NodeBrief | None
    micro_grid: NodeBrief | None
    community: NodeBrief | None
    street: NodeBrief | None


class BuildingOut(Schema):
    id: int
    grid_id: int
    name: str
    compound: str
    address: str
    lng: float | None
    lat: float | None
    floors: int | None
    built_year: int | None
    age: int | None = Field(None, description="years since it was built")
    tags: list[str]

    @staticmethod
    def resolve_age(building: Building) -> int | None:
        if building.built_year is None:
            return None
        return timezone.localdate().year - building.built_year

    @staticmethod
    def resolve_tags(building: Building) -> list[str]:
        return [tag.name for tag in building.tags.all()]


class DwellingOut(Schema):
    id: int
    building_id: int
    unit: int | None
    floor: int | None
    number: str
    label: str
    households: int

    @staticmethod
    def resolve_unit(dwelling: Dwelling) -> int | None:
        return dwelling.unit.number if dwelling.unit is not None else None

    @staticmethod
    def resolve_households(dwelling: Dwelling) -> int:
        return getattr(dwelling, "household_count", 0)
