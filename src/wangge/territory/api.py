from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from wangge.core.api import Page, apply_filters
from wangge.core.filters import query_schema
from wangge.territory import geo
from wangge.territory.choices import CRS, DIVISION_KINDS, GRID_KINDS, NodeKind
from wangge.territory.filters import BuildingFilter, DwellingFilter, NodeFilter
from wangge.territory.locate import get_index
from wangge.territory.models import Building, Dwelling, Node
from wangge.territory.schemas import (
    BuildingOut,
    DwellingOut,
    GridOut,
    LocateOut,
    NodeOut,
)

router = Router(tags=["territory"])

NodeQuery = query_schema(NodeFilter, "NodeQuery")
BuildingQuery = query_schema(BuildingFilter, "BuildingQuery")
DwellingQuery = query_schema(DwellingFilter, "DwellingQuery")


def visible_nodes(request):
    return Node.objects.restrict(request.user, "view")


@router.get("/divisions", response=list[NodeOut])
@paginate(Page)
def list_divisions(request, filters: Query[NodeQuery]):
    """District, streets and communities the caller can see, with their official codes."""
    nodes = visible_nodes(request).filter(kind__in=DIVISION_KINDS)
    return apply_filters(NodeFilter, filters, nodes, request)


@router.get("/divisions/{node_id}", response=NodeOut)
def get_division(request, node_id: int):
    return get_object_or_404(visible_nodes(request).filter(kind__in=DIVISION_KINDS), pk=node_id)


@router.get("/grids", response=list[GridOut])
@paginate(Page)
def list_grids(request, filters: Query[NodeQuery]):
    """Grids, dedicated grids and micro-grids in scope, with their GeoJSON boundaries."""
    nodes = visible_nodes(request).filter(kind__in=GRID_KINDS)
    return apply_filters(NodeFilter, filters, nodes, request)


@router.get("/grids/geojson", response=dict)
def grids_geojson(request, filters: Query[NodeQuery]):
    """The grids in scope as one GeoJSON FeatureCollection (WGS-84), for maps."""
    nodes = apply_filters(
        NodeFilter, filters, visible_nodes(request).filter(kind__in=GRID_KINDS), request
    )
    features = [
        {
            "type": "Feature",
            "id": node.pk,
            "geometry": node.geometry,
            "properties": {
                "id": node.pk,
                "code": node.code,
                "name": node.name,
                "kind": node.kind,
                "parent_id": node.parent_id,
            },
        }
        for node in nodes.only("id", "code", "name", "kind", "parent_id", "geometry")
    ]
    return {"type": "FeatureCollection", "count": len(features), "features": features}


@router.get("/grids/locate", response=LocateOut)
def locate(request, lng: float, lat: float, crs: CRS = CRS.WGS84):
    """The grid (and micro-grid) containing a point given in WGS-84, GCJ-02 or BD-09.

    A point in no grid, or in a grid outside the caller's scope, is a 404.
    """
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise HttpError(400, gettext("The coordinates are out of range"))
    w_lng, w_lat = (float(v) for v in geo.to_wgs84(lng, lat, crs))
    hits = get_index().locate(w_lng, w_lat)
    nodes = visible_nodes(request).in_bulk([hit.node_id for hit in hits])
    visible = [nodes[hit.node_id] for hit in hits if hit.node_id in nodes]
    grid = next((n for n in visible if n.kind != NodeKind.MICRO_GRID), None)
    micro = next((n for n in visible if n.kind == NodeKind.MICRO_GRID), None)
    if grid is None and micro is None:
        raise Http404
    anchor = grid or micro
    return {
        "lng": lng,
        "lat": lat,
        "crs": crs,
        "wgs84": [round(w_lng, 8), round(w_lat, 8)],
        "grid": grid,
        "micro_grid": micro,
        "community": anchor.community,
        "street": anchor.street,
    }


@router.get("/grids/{node_id}", response=GridOut)
def get_grid(request, node_id: int):
    return get_object_or_404(visible_nodes(request).filter(kind__in=GRID_KINDS), pk=node_id)


@router.get("/buildings", response=list[BuildingOut])
@paginate(Page)
def list_buildings(request, filters: Query[BuildingQuery]):
    buildings = Building.objects.restrict(request.user, "view").prefetch_related("tags")
    return apply_filters(BuildingFilter, filters, buildings, request)


@router.get("/buildings/{building_id}", response=BuildingOut)
def get_building(request, building_id: int):
    return get_object_or_404(
        Building.objects.restrict(request.user, "view").prefetch_related("tags"), pk=building_id
    )


@router.get("/dwellings", response=list[DwellingOut])
@paginate(Page)
def list_dwellings(request, filters: Query[DwellingQuery]):
    dwellings = (
        Dwelling.objects.restrict(request.user, "view")
        .select_related("unit")
        .annotate(household_count=Count("households"))
    )
    return apply_filters(DwellingFilter, filters, dwellings, request)


@router.get("/dwellings/{dwelling_id}", response=DwellingOut)
def get_dwelling(request, dwelling_id: int):
    dwellings = (
        Dwelling.objects.restrict(request.user, "view")
        .select_related("unit")
        .annotate(household_count=Count("households"))
    )
    return get_object_or_404(dwellings, pk=dwelling_id)
