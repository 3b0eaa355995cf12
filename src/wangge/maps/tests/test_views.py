"""The map page and its GeoJSON layers as the demo's people meet them: the community sees its
grids, buildings and open cases; a grid worker only their grid; nothing of 观澜社区 reaches
either; bad input is a 400; the overlays follow a GCJ-02 base map."""

import json
import re

import pytest
from django.core.checks import run_checks
from django.test import Client
from django.utils import timezone

from wangge.accounts.models import Membership
from wangge.cases.choices import FINAL_STATES, Mark
from wangge.cases.models import Case
from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.maps import views
from wangge.people.models import Household
from wangge.territory.choices import GRID_KINDS
from wangge.territory.geo import wgs84_to_gcj02
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db

LAYERS = ["grids", "buildings", "cases"]
WORKER = "gridworker_lvdu1"
COMMUNITY = "community_lvdu"


def layer(client, name, **params):
    response = client.get(f"/map/{name}.geojson", params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    return data["features"]


def by_code(features):
    return {feature["properties"]["code"]: feature for feature in features}


def open_cases_under(code):
    return Case.objects.filter(grid__code__startswith=code).exclude(state__in=FINAL_STATES)


def positions(features):
    """Every position of every geometry, flattened."""

    def walk(value):
        if value and isinstance(value[0], (int, float)):
            yield value
        else:
            for part in value:
                yield from walk(part)

    for feature in features:
        yield from walk(feature["geometry"]["coordinates"])


# --- The page -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in():
    client = Client()
    for path in ["/map/", *(f"/map/{name}.geojson" for name in LAYERS)]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=/map/")


def test_page_loads_only_vendored_files_and_no_inline_script(as_user):
    response = as_user(COMMUNITY).get("/map/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<div id="map"' in page
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/leaflet/leaflet.js" in sources
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in sources
    assert "/static/js/map.js" in sources and "/static/css/map.css" in sources
    assert not [source for source in sources if "//" in source]
    # Scripts come from files; the one inline block is data (json_script).
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    config = json.loads(re.search(r'id="map-config"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert config["layers"] == {name: f"/map/{name}.geojson" for name in LAYERS}
    assert config["tiles"] == ""
    assert config["labels"]["grids"] == "网格"


def test_page_offers_only_the_layers_the_role_may_see(as_user):
    page = as_user("partymember_lvdu").get("/map/").content.decode()
    config = json.loads(re.search(r'id="map-config"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert config["layers"] == {"grids": "/map/grids.geojson"}


def test_a_tile_url_adds_a_base_map(as_user, settings):
    settings.WANGGE_MAP_TILES = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    page = as_user(COMMUNITY).get("/map/").content.decode()
    assert "https://tiles.example.gov.cn/{z}/{x}/{y}.png" in page


# --- Grids --------------------------------------------------------------------------------------


def test_community_sees_its_grids_with_workers_households_and_cases(as_user, node):
    grids = by_code(layer(as_user(COMMUNITY), "grids"))
    lvdu = node(LVDU)
    expected = Node.objects.filter(
        path__startswith=lvdu.path, kind__in=GRID_KINDS, geometry__isnull=False
    )
    assert set(grids) == set(expected.values_list("code", flat=True))
    assert LVDU_GRID1 in grids and LVDU_GRID2 in grids
    first = grids[LVDU_GRID1]
    assert first["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    properties = first["properties"]
    assert properties["name"] == "第1网格" and properties["place"] == "绿都社区"
    assert "绿都社区第1网格 孙丽" in properties["workers"]
    assert (
        properties["households"]
        == Household.objects.filter(grid__code__startswith=LVDU_GRID1).count()
    )
    cases = open_cases_under(LVDU_GRID1)
    assert properties["open"] == cases.count()
    late = cases.filter(mark=Mark.RED) | cases.filter(stage_deadline__lt=timezone.now())
    assert properties["late"] == late.count()
    assert set(properties) == {
        "id", "code", "name", "place", "kind", "workers", "households", "open", "late",
    }  # fmt: skip


def test_grid_worker_sees_only_their_grid(as_user, node):
    grids = by_code(layer(as_user(WORKER), "grids"))
    grid1 = node(LVDU_GRID1)
    assert LVDU_GRID1 in grids
    assert all(code.startswith(LVDU_GRID1) for code in grids)
    assert LVDU_GRID2 not in grids and GUANLAN_GRID1 not in grids
    assert {feature["properties"]["place"] for feature in grids.values()} <= {"绿都社区", "第1网格"}
    mine = grids[LVDU_GRID1]["properties"]
    assert mine["id"] == grid1.pk
    assert mine["open"] == open_cases_under(LVDU_GRID1).count()
    # Grid workers may not list memberships: the names are left out, not made up.
    assert "workers" not in mine


def test_a_grid_holds_the_counts_of_its_micro_grids(as_user):
    grids = by_code(layer(as_user(COMMUNITY), "grids"))
    micro = [code for code in grids if code.startswith(LVDU_GRID1) and code != LVDU_GRID1]
    assert micro, "the demo has micro-grids in 绿都社区 grid 1"
    for key in ("households", "open"):
        parts = sum(grids[code]["properties"][key] for code in micro)
        assert grids[LVDU_GRID1]["properties"][key] >= parts


def test_party_member_sees_grids_without_people_or_cases(as_user):
    grids = by_code(layer(as_user("partymember_lvdu"), "grids"))
    assert LVDU_GRID1 in grids
    assert set(grids[LVDU_GRID1]["properties"]) == {"id", "code", "name", "place", "kind"}
    assert layer(as_user("partymember_lvdu"), "buildings") == []
    assert layer(as_user("partymember_lvdu"), "cases") == []


def test_grid_counts_take_a_fixed_number_of_queries(as_user, django_assert_max_num_queries):
    client = as_user("district")
    with django_assert_max_num_queries(12):
        grids = layer(client, "grids")
    assert len(grids) > 90


# --- Buildings and cases ------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "prefix"), [(COMMUNITY, LVDU), (WORKER, LVDU_GRID1)])
def test_buildings_are_those_in_scope(as_user, persona, prefix):
    features = layer(as_user(persona), "buildings")
    expected = Building.objects.filter(grid__code__startswith=prefix, lng__isnull=False)
    assert {f["properties"]["id"] for f in features} == set(expected.values_list("pk", flat=True))
    assert features and all(f["geometry"]["type"] == "Point" for f in features)
    assert set(features[0]["properties"]) == {"id", "name"}


@pytest.mark.parametrize(("persona", "prefix"), [(COMMUNITY, LVDU), (WORKER, LVDU_GRID1)])
def test_open_cases_are_those_in_scope(as_user, persona, prefix):
    features = layer(as_user(persona), "cases")
    expected = open_cases_under(prefix).filter(lng__isnull=False)
    assert {f["properties"]["id"] for f in features} == set(expected.values_list("pk", flat=True))
    assert features
    case = Case.objects.get(pk=features[0]["properties"]["id"])
    assert features[0]["properties"] == {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "state": case.get_state_display(),
        "late": case.mark == Mark.RED
        or bool(case.stage_deadline and case.stage_deadline < timezone.now()),
    }


def test_nothing_of_guanlan_reaches_the_grid_worker(as_user, node):
    client = as_user(WORKER)
    far = node(GUANLAN_GRID1)
    far_buildings = set(
        Building.objects.filter(grid__code__startswith=GUANLAN).values_list("pk", flat=True)
    )
    far_cases = set(open_cases_under(GUANLAN).values_list("pk", flat=True))
    assert far_buildings and far_cases
    assert not {f["properties"]["id"] for f in layer(client, "buildings")} & far_buildings
    assert not {f["properties"]["id"] for f in layer(client, "cases")} & far_cases
    grid_ids = {f["properties"]["id"] for f in layer(client, "grids")}
    assert far.pk not in grid_ids
    # Asking for the far grid's box gives an empty map, not its contents.
    box = f"{far.min_lng},{far.min_lat},{far.max_lng},{far.max_lat}"
    for name in LAYERS:
        assert layer(client, name, bbox=box) == []
    # …where the grid worker of 观澜 sees their grid.
    assert far.pk in {
        f["properties"]["id"] for f in layer(as_user("gridworker_guanlan1"), "grids", bbox=box)
    }


def test_grid_workers_listed_are_only_those_of_the_grid(as_user, node):
    grids = by_code(layer(as_user(COMMUNITY), "grids"))
    names = set(
        Membership.objects.filter(node=node(LVDU_GRID2), role="grid_worker").values_list(
            "user__display_name", flat=True
        )
    )
    assert set(grids[LVDU_GRID2]["properties"]["workers"]) == names


# --- Clusters from the server -------------------------------------------------------------------


def late_under(code):
    cases = open_cases_under(code).filter(lng__isnull=False)
    return (cases.filter(mark=Mark.RED) | cases.filter(stage_deadline__lt=timezone.now())).count()


@pytest.mark.parametrize(("persona", "prefix"), [(COMMUNITY, LVDU), (WORKER, LVDU_GRID1)])
@pytest.mark.parametrize("zoom", ["3", "14", "22"])
def test_more_cases_than_points_are_sent_as_clusters_of_the_same_cases(
    as_user, monkeypatch, persona, prefix, zoom
):
    monkeypatch.setattr(views, "MAX_POINTS", 2)
    expected = open_cases_under(prefix).filter(lng__isnull=False)
    assert expected.count() > 2
    clusters = layer(as_user(persona), "cases", zoom=zoom)
    assert clusters and all(f["properties"]["cluster"] for f in clusters)
    # Every case in scope is counted once, in the square it lies in, and nothing else is.
    assert sum(f["properties"]["count"] for f in clusters) == expected.count()
    assert sum(f["properties"]["late"] for f in clusters) == late_under(prefix)
    for feature in clusters:
        west, south, east, north = feature["properties"]["bbox"]
        lng, lat = feature["geometry"]["coordinates"]
        assert west <= lng <= east and south <= lat <= north
        assert east - west <= views.cell_degrees(int(zoom)) + 1e-6
    # The squares shrink as the map zooms in.
    if zoom == "3":
        assert len(clusters) == 1


def test_clusters_keep_to_the_bbox_and_the_scope(as_user, monkeypatch, node):
    monkeypatch.setattr(views, "MAX_POINTS", 0)
    far = node(GUANLAN_GRID1)
    box = f"{far.min_lng},{far.min_lat},{far.max_lng},{far.max_lat}"
    assert layer(as_user(WORKER), "cases", bbox=box, zoom=12) == []
    mine = layer(as_user("gridworker_guanlan1"), "cases", bbox=box, zoom=12)
    expected = open_cases_under(GUANLAN_GRID1).filter(
        lng__gte=far.min_lng, lng__lte=far.max_lng, lat__gte=far.min_lat, lat__lte=far.max_lat
    )
    assert sum(f["properties"]["count"] for f in mine) == expected.count() > 0


@pytest.mark.parametrize("zoom", [3, 16])
def test_clusters_take_one_grouped_query(as_user, monkeypatch, django_assert_num_queries, zoom):
    """The session, user and scope (6), the capped read of points that found too many, and
    one grouped query, whatever the zoom."""
    monkeypatch.setattr(views, "MAX_POINTS", 2)
    client = as_user(COMMUNITY)
    with django_assert_num_queries(8):
        assert layer(client, "cases", zoom=zoom)


@pytest.mark.parametrize("zoom", ["-1", "23", "1.5", "ten"])
def test_a_bad_zoom_is_a_400_naming_the_field(as_user, zoom):
    response = as_user(COMMUNITY).get("/map/cases.geojson", {"zoom": zoom})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "zoom"


# --- Input and coordinates ----------------------------------------------------------------------


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize(
    "bbox", ["garbage", "1,2,3", "113.7,34.7,113.6,34.8", "nan,1,2,3", "113,34,114,95"]
)
def test_a_bad_bbox_is_a_400_naming_the_field(as_user, name, bbox):
    response = as_user(COMMUNITY).get(f"/map/{name}.geojson", {"bbox": bbox})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "bbox"


def test_a_bbox_keeps_what_lies_in_it(as_user, node):
    client = as_user(COMMUNITY)
    grid1 = node(LVDU_GRID1)
    box = f"{grid1.min_lng},{grid1.min_lat},{grid1.max_lng},{grid1.max_lat}"
    inside = by_code(layer(client, "grids", bbox=box))
    assert LVDU_GRID1 in inside and len(inside) < len(layer(client, "grids"))
    for feature in layer(client, "buildings", bbox=box):
        lng, lat = feature["geometry"]["coordinates"]
        assert grid1.min_lng <= lng <= grid1.max_lng and grid1.min_lat <= lat <= grid1.max_lat


def test_coordinates_are_rounded_to_six_decimals(as_user):
    client = as_user(COMMUNITY)
    for name in LAYERS:
        for position in positions(layer(client, name)):
            assert len(position) == 2
            assert all(round(value, 6) == value for value in position)


def test_a_gcj02_base_map_shifts_the_overlays(as_user, node, settings):
    client = as_user(WORKER)
    wgs = by_code(layer(client, "grids"))[LVDU_GRID1]["geometry"]["coordinates"][0][0]
    settings.WANGGE_MAP_TILES_CRS = "gcj02"
    gcj = by_code(layer(client, "grids"))[LVDU_GRID1]["geometry"]["coordinates"][0][0]
    stored = node(LVDU_GRID1).geometry["coordinates"][0][0]
    expected = [round(float(value), 6) for value in wgs84_to_gcj02(*stored)]
    assert gcj == expected and gcj != wgs
    building = Building.objects.filter(grid__code__startswith=LVDU_GRID1).order_by("pk").first()
    shifted = layer(client, "buildings")[0]
    assert shifted["properties"]["id"] == building.pk
    assert shifted["geometry"]["coordinates"] == [
        round(float(value), 6) for value in wgs84_to_gcj02(building.lng, building.lat)
    ]


def test_the_tile_settings_are_checked(settings):
    settings.WANGGE_MAP_TILES_CRS = "bd09"
    settings.WANGGE_MAP_TILES = "https://tiles.example.gov.cn/tile.png"
    ids = {problem.id for problem in run_checks()}
    assert {"maps.E001", "maps.E002"} <= ids
