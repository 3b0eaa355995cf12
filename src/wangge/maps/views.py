"""The map of the staff console: the page, and the GeoJSON layers it fetches.

Every layer is read through the user's restricted querysets, so a grid worker's map holds
their grid, its buildings and its cases, and nothing of the grid next door. Counts are made
with one grouped query per kind of thing and added up the territory tree in Python.
"""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Max, Min, Q
from django.db.models.functions import Floor
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.cases.choices import OPEN_STATES, Mark, State
from wangge.cases.models import Case
from wangge.core.api import problem
from wangge.core.scope import get_scope
from wangge.maps import geojson
from wangge.people.models import Household
from wangge.territory.choices import GRID_KINDS, LOCATE_PRIORITY
from wangge.territory.models import Building, Node

GEOJSON = "application/geo+json"
# The cases console: its list reads ``?grid=`` (a subtree); a case is ``<list><id>/``
CASE_LIST = "/cases/"


@login_required
@require_GET
def map_page(request):
    """The map: grids coloured by their open cases, buildings, and the open cases."""
    scope = get_scope(request.user)
    layers = {"grids": reverse("map-grids")}
    if scope.has_perm("territory.view_building"):
        layers["buildings"] = reverse("map-buildings")
    if scope.has_perm("cases.view_case"):
        layers["cases"] = reverse("map-cases")
    config = {
        "layers": layers,
        "caseList": CASE_LIST,
        "tiles": settings.WANGGE_MAP_TILES,
        "labels": {
            "grids": _("Grids"),
            "buildings": _("Buildings"),
            "baseMap": _("Base map"),
            "layers": _("Layers"),
            "gridWorkers": _("Grid workers"),
            "households": _("Households"),
            "openCases": _("Open cases"),
            "lateCases": _("Late cases"),
            "noOpenCases": _("No open cases"),
            "late": _("Late"),
            "legend": _("Legend"),
            "viewCases": _("View its cases"),
            "openCase": _("Open the case"),
            "failed": _("The map data could not be loaded. Reload the page to try again."),
            "noGrids": _("No grid boundaries to show."),
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
            "close": _("Close"),
        },
    }
    return render(request, "maps/map.html", {"config": config})


def _geojson(data: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")), content_type=GEOJSON
    )


def _bbox(request):
    """The optional ``?bbox=`` in WGS-84, or a problem+json 400 to return."""
    try:
        return geojson.parse_bbox(request.GET.get("bbox"), geojson.map_crs()), None
    except geojson.BadBBox:
        message = _(
            "Should be four numbers west,south,east,north (longitude and latitude, west < east,"
            " south < north)"
        )
        errors = [{"field": "bbox", "message": message}]
        return None, problem(400, "Bad Request", message, errors=errors)


def _add_up(rows, props: dict[int, dict], keys: list[str]) -> None:
    """Counts grouped by the grid's path, added to that grid and each of its ancestors on the
    map (a grid holds its micro-grids' households and cases)."""
    for prop in props.values():
        for key in keys:
            prop[key] = 0
    for row in rows:
        for part in row["grid__path"].strip("/").split("/"):
            prop = props.get(int(part))
            if prop is not None:
                for key in keys:
                    prop[key] += row[key]


def _late() -> Q:
    """Marked red by the sweep, or past the stage's deadline before the next sweep."""
    return Q(mark=Mark.RED) | Q(stage_deadline__lt=timezone.now())


@login_required
@require_GET
@never_cache
@gzip_page
def grids(request):
    """The grids inside the user's places with their boundaries, their grid workers, their
    households and their open and late cases (each only where the user may see those)."""
    bbox, error = _bbox(request)
    if error:
        return error
    user = request.user
    scope = get_scope(user)
    chosen = Node.objects.inside(user).filter(
        kind__in=GRID_KINDS, is_active=True, geometry__isnull=False
    )
    if bbox:
        west, south, east, north = bbox
        chosen = chosen.filter(
            max_lng__gte=west, min_lng__lte=east, max_lat__gte=south, min_lat__lte=north
        )
    # Larger grids first, so dedicated and micro-grids are drawn (and clicked) on top.
    nodes = sorted(
        chosen.only("id", "code", "name", "kind", "parent_id", "path", "geometry"),
        key=lambda node: (LOCATE_PRIORITY.get(node.kind, 0), node.path),
    )
    if not nodes:
        return _geojson(geojson.collection([]))
    places = dict(
        Node.objects.restrict(user, "view")
        .filter(pk__in={node.parent_id for node in nodes})
        .values_list("pk", "name")
    )
    props = {
        node.pk: {
            "id": node.pk,
            "code": node.code,
            "name": node.name,
            "place": places.get(node.parent_id, ""),
            "kind": node.kind,
        }
        for node in nodes
    }
    # Counts the user may not see are left out, not zero (as on the home page).
    if scope.has_perm("accounts.view_membership"):
        workers = (
            Membership.objects.restrict(user, "view")
            .filter(node__in=chosen.values("pk"), role=Role.GRID_WORKER, is_active=True)
            .filter(user__is_active=True)
            .order_by("node_id", "user__username")
            .values_list("node_id", "user__display_name", "user__username")
        )
        for prop in props.values():
            prop["workers"] = []
        for node_id, display_name, username in workers:
            props[node_id]["workers"].append(display_name or username)
    if scope.has_perm("people.view_household"):
        households = (
            Household.objects.restrict(user, "view")
            .values("grid__path")
            .annotate(households=Count("id"))
            .order_by()
        )
        _add_up(households, props, ["households"])
    if scope.has_perm("cases.view_case"):
        cases = (
            Case.objects.restrict(user, "view")
            .filter(state__in=OPEN_STATES)
            .values("grid__path")
            .annotate(open=Count("id"), late=Count("id", filter=_late()))
            .order_by()
        )
        _add_up(cases, props, ["open", "late"])
    crs = geojson.map_crs()
    features = [
        geojson.feature(geojson.geometry(node.geometry, crs), props[node.pk]) for node in nodes
    ]
    return _geojson(geojson.collection(features))


@login_required
@require_GET
@never_cache
@gzip_page
def buildings(request):
    """The buildings the user may see that have a position, as points named for a popup."""
    bbox, error = _bbox(request)
    if error:
        return error
    rows = Building.objects.restrict(request.user, "view").filter(
        lng__isnull=False, lat__isnull=False
    )
    rows = _inside_bbox(rows, bbox)
    rows = list(rows.order_by("id").values_list("id", "compound", "name", "lng", "lat"))
    positions = geojson.points([(lng, lat) for *_rest, lng, lat in rows], geojson.map_crs())
    features = [
        geojson.feature(geojson.point(position), {"id": pk, "name": f"{compound}{name}"})
        for (pk, compound, name, _lng, _lat), position in zip(rows, positions, strict=True)
    ]
    return _geojson(geojson.collection(features))


# Above this many open cases in the view the server sends clusters, not points: a district's
# thousands of open cases would cost more to write, send and draw than anyone can read.
MAX_POINTS = 2000
# A cluster covers a square of about this many screen pixels at the asked zoom.
CLUSTER_PIXELS = 64
DEFAULT_ZOOM = 12
MAX_ZOOM = 22


def _zoom(request):
    """The optional ``?zoom=`` (0–22), or a problem+json 400 to return."""
    value = request.GET.get("zoom", "").strip()
    if not value:
        return DEFAULT_ZOOM, None
    if value.isdigit() and int(value) <= MAX_ZOOM:
        return int(value), None
    message = _("Should be a whole number from 0 to %(max)d") % {"max": MAX_ZOOM}
    return None, problem(
        400, "Bad Request", message, errors=[{"field": "zoom", "message": message}]
    )


def cell_degrees(zoom: int) -> float:
    """The side of a cluster's square in degrees: CLUSTER_PIXELS of a 256-pixel Web
    Mercator tile at ``zoom`` (a degree of longitude is as wide at every latitude there)."""
    return 360 / (256 * 2**zoom) * CLUSTER_PIXELS


@login_required
@require_GET
@never_cache
@gzip_page
def cases(request):
    """The open cases the user may see that have a position: number, title, state, late.

    The page asks for what it shows (``?bbox=`` and ``?zoom=``). When more than MAX_POINTS
    cases lie in it, the answer is clusters made by the database, one per square of the map,
    each with its count, its late count, its middle and its extent, so a district's map costs
    the same at 10,000 open cases as at 100."""
    bbox, error = _bbox(request)
    if error:
        return error
    zoom, error = _zoom(request)
    if error:
        return error
    rows = Case.objects.restrict(request.user, "view").filter(
        state__in=OPEN_STATES, lng__isnull=False, lat__isnull=False
    )
    rows = _inside_bbox(rows, bbox)
    # Lateness is decided by the database: a district's thousands of open cases need not be
    # read with their deadlines.
    chosen = list(
        rows.annotate(is_late=ExpressionWrapper(_late(), output_field=BooleanField()))
        .order_by("id")
        .values_list("id", "number", "title", "state", "is_late", "lng", "lat")[: MAX_POINTS + 1]
    )
    if len(chosen) > MAX_POINTS:
        return _clusters(rows, zoom)
    positions = geojson.points([(lng, lat) for *_rest, lng, lat in chosen], geojson.map_crs())
    # Each state's label translated and written as JSON once, not once per case.
    states = {value: geojson.text(str(label)) for value, label in State.choices}
    properties = [
        f'{{"id":{pk},"number":{geojson.text(number)},"title":{geojson.text(title)},'
        f'"state":{states.get(state) or geojson.text(state)},"late":{"true" if late else "false"}}}'
        for pk, number, title, state, late, _lng, _lat in chosen
    ]
    return HttpResponse(geojson.points_text(positions, properties), content_type=GEOJSON)


def _clusters(rows, zoom: int) -> HttpResponse:
    """The cases of ``rows`` grouped by squares of the map in one query: a point per square
    at the mean of its cases, with ``cluster``, ``count``, ``late`` and ``bbox`` (WGS-84
    corners converted like the points, so the page can zoom to it)."""
    size = cell_degrees(zoom)
    groups = list(
        rows.annotate(
            cell_x=Floor(F("lng") / size),
            cell_y=Floor(F("lat") / size),
        )
        .values("cell_x", "cell_y")
        .annotate(
            count=Count("id"),
            late=Count("id", filter=_late()),
            mid_lng=Avg("lng"),
            mid_lat=Avg("lat"),
            west=Min("lng"),
            south=Min("lat"),
            east=Max("lng"),
            north=Max("lat"),
        )
        .order_by("cell_y", "cell_x")
    )
    crs = geojson.map_crs()
    middles = geojson.points([(g["mid_lng"], g["mid_lat"]) for g in groups], crs)
    corners = geojson.points(
        [(g[x], g[y]) for g in groups for x, y in (("west", "south"), ("east", "north"))], crs
    )
    properties = [
        f'{{"cluster":true,"count":{group["count"]},"late":{group["late"]},'
        f'"bbox":[{sw[0]!r},{sw[1]!r},{ne[0]!r},{ne[1]!r}]}}'
        for group, sw, ne in zip(groups, corners[0::2], corners[1::2], strict=True)
    ]
    return HttpResponse(geojson.points_text(middles, properties), content_type=GEOJSON)


def _inside_bbox(rows, bbox):
    if not bbox:
        return rows
    west, south, east, north = bbox
    return rows.filter(lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north)
