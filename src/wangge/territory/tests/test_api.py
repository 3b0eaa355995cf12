"""Divisions, grids (and their GeoJSON), buildings and dwellings through the API.

For each: what a persona sees, the 404 for what lies outside (绿都 grid 2, 观澜社区 in
another street), the 400 for bad input, and lists that do not query once per item."""

import pytest
from django.test import Client

from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.people import services as people
from wangge.territory.models import Building, Dwelling, Node

pytestmark = pytest.mark.django_db

ME = "gridworker_lvdu1"
ZYXL = "410102010"  # 中原西路街道
HHXL = "410102009"  # 航海西路街道, which holds 观澜社区
WANDA = "410102010007"
MY_GRIDS = {LVDU_GRID1, f"{LVDU_GRID1}001", f"{LVDU_GRID1}002"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def listed(client, url, **params):
    response = client.get(url, {"limit": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def codes(items):
    return {item["code"] for item in items}


@pytest.fixture
def outside():
    """One of each object in 绿都 grid 2 and in 观澜社区 grid 1."""
    return {
        place: {
            "grid": Node.objects.get(code=code),
            "building": Building.objects.filter(grid__code__startswith=code).first(),
            "dwelling": Dwelling.objects.filter(building__grid__code__startswith=code).first(),
        }
        for place, code in (("grid2", LVDU_GRID2), ("guanlan", GUANLAN_GRID1))
    }


# --- Divisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (ME, {"410102", ZYXL, LVDU}),
        ("community_lvdu", {"410102", ZYXL, LVDU}),
        ("partymember_lvdu", {"410102", ZYXL, LVDU}),
        ("street_zyxl", {"410102", ZYXL, LVDU, WANDA}),
        ("gridworker_guanlan1", {"410102", HHXL, GUANLAN}),
    ],
)
def test_divisions_are_my_places_and_their_ancestors(api_as, persona, expected):
    assert codes(listed(api_as(persona), "/api/v1/divisions")) == expected


def test_grid_worker_sees_the_chain_above_their_grid_in_order(api_as):
    items = listed(api_as(ME), "/api/v1/divisions")
    assert [(item["name"], item["kind"], item["depth"]) for item in items] == [
        ("中原区", "district", 0),
        ("中原西路街道", "street", 1),
        ("绿都社区", "community", 2),
    ]
    assert [item["kind_label"] for item in items] == ["区", "街道", "社区"]
    assert items[2]["parent_id"] == items[1]["id"] and items[0]["parent_id"] is None


def test_district_sees_every_division(api_as):
    items = listed(api_as("district"), "/api/v1/divisions")
    assert len(items) == Node.objects.divisions().count() == 1 + 8 + 12


@pytest.mark.parametrize("code", [GUANLAN, HHXL, WANDA, "410102004"])
def test_division_outside_scope_is_404(api_as, node, code):
    client = api_as(ME)
    assert_problem(client.get(f"/api/v1/divisions/{node(code).pk}"), 404)
    assert code not in codes(listed(client, "/api/v1/divisions"))


def test_division_by_id(api_as, node):
    body = api_as(ME).get(f"/api/v1/divisions/{node(LVDU).pk}").json()
    assert body["code"] == LVDU and body["name"] == "绿都社区"
    assert body["parent_id"] == node(ZYXL).pk and body["is_active"] is True


def test_a_grid_is_no_division_and_a_division_no_grid(api_as, node):
    client = api_as(ME)
    assert_problem(client.get(f"/api/v1/divisions/{node(LVDU_GRID1).pk}"), 404)
    assert_problem(client.get(f"/api/v1/grids/{node(LVDU).pk}"), 404)


def test_division_filters(api_as, node):
    client = api_as("street_zyxl")
    assert codes(listed(client, "/api/v1/divisions", kind="community")) == {LVDU, WANDA}
    assert codes(listed(client, "/api/v1/divisions", q="绿都")) == {LVDU}
    assert codes(listed(client, "/api/v1/divisions", q=ZYXL)) == {ZYXL, LVDU, WANDA}
    assert codes(listed(client, "/api/v1/divisions", parent=node(ZYXL).pk)) == {LVDU, WANDA}


# --- Grids ------------------------------------------------------------------------------------


def test_grid_worker_lists_their_grid_and_its_micro_grids_with_boundaries(api_as):
    items = listed(api_as(ME), "/api/v1/grids")
    assert codes(items) == MY_GRIDS
    for item in items:
        assert item["geometry"]["type"] == "Polygon"
        min_lng, min_lat, max_lng, max_lat = item["bbox"]
        assert 113.55 <= min_lng < max_lng <= 113.66 and 34.72 <= min_lat < max_lat <= 34.80


@pytest.mark.parametrize(
    ("persona", "prefix", "count"),
    [
        ("community_lvdu", LVDU, 10),
        ("partymember_lvdu", LVDU, 10),
        ("gridworker_guanlan1", GUANLAN_GRID1, 1),
    ],
)
def test_grids_in_scope(api_as, persona, prefix, count):
    items = listed(api_as(persona), "/api/v1/grids")
    assert len(items) == count
    assert all(code.startswith(prefix) for code in codes(items))


def test_grid_outside_scope_is_404_and_absent(api_as, outside, node):
    client = api_as(ME)
    mine = client.get(f"/api/v1/grids/{node(LVDU_GRID1).pk}")
    assert mine.status_code == 200 and mine.json()["name"] == "第1网格"
    listed_ids = {item["id"] for item in listed(client, "/api/v1/grids")}
    for grid in (outside["grid2"]["grid"], outside["guanlan"]["grid"], node(f"{LVDU_GRID2}001")):
        assert_problem(client.get(f"/api/v1/grids/{grid.pk}"), 404)
        assert grid.pk not in listed_ids


def test_grid_filters(api_as, node):
    client = api_as("community_lvdu")
    assert len(listed(client, "/api/v1/grids", kind="micro_grid")) == 4
    both = listed(client, "/api/v1/grids", kind=["grid", "micro_grid"])
    assert len(both) == 10
    children = listed(client, "/api/v1/grids", parent=node(LVDU_GRID1).pk)
    assert codes(children) == MY_GRIDS - {LVDU_GRID1}
    assert codes(listed(client, "/api/v1/grids", within=node(LVDU_GRID2).pk)) == {
        LVDU_GRID2,
        f"{LVDU_GRID2}001",
        f"{LVDU_GRID2}002",
    }
    assert listed(client, "/api/v1/grids", within=node(GUANLAN).pk) == []


# --- GeoJSON ----------------------------------------------------------------------------------


def geojson(client, **params):
    response = client.get("/api/v1/grids/geojson", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_geojson_is_a_feature_collection_of_my_grids(api_as):
    body = geojson(api_as(ME))
    assert body["type"] == "FeatureCollection"
    assert body["count"] == len(body["features"]) == 3
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Polygon"
        assert feature["id"] == feature["properties"]["id"]
        assert set(feature["properties"]) == {"id", "code", "name", "kind", "parent_id"}
    assert {f["properties"]["code"] for f in body["features"]} == MY_GRIDS


def test_geojson_is_scoped(api_as):
    features = geojson(api_as("gridworker_guanlan1"))["features"]
    assert [f["properties"]["code"] for f in features] == [GUANLAN_GRID1]


@pytest.mark.parametrize(
    ("kinds", "count"),
    [(["micro_grid"], 4), (["grid"], 6), (["grid", "micro_grid"], 10), (["dedicated_grid"], 0)],
)
def test_geojson_kind_filter_takes_repeated_values(api_as, kinds, count):
    features = geojson(api_as("community_lvdu"), kind=kinds)["features"]
    assert len(features) == count
    assert {f["properties"]["kind"] for f in features} == set(kinds if count else [])


def test_geojson_bad_kind_is_400(api_as):
    response = api_as(ME).get("/api/v1/grids/geojson", {"kind": ["grid", "street_x"]})
    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] == "kind"


# --- Buildings --------------------------------------------------------------------------------


def test_buildings_of_my_grid(api_as, node):
    items = listed(api_as(ME), "/api/v1/buildings")
    expected = Building.objects.filter(grid__code__startswith=LVDU_GRID1)
    assert {item["id"] for item in items} == set(expected.values_list("pk", flat=True))
    my_grid_ids = {node(code).pk for code in MY_GRIDS}
    assert {item["grid_id"] for item in items} <= my_grid_ids
    assert all(item["address"].startswith("郑州市中原区") for item in items)


def test_building_by_id_and_outside_is_404(api_as, outside):
    client = api_as(ME)
    mine = Building.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    body = client.get(f"/api/v1/buildings/{mine.pk}").json()
    assert body["name"] == mine.name and body["compound"] == mine.compound
    assert body["tags"] == [tag.name for tag in mine.tags.all()]
    listed_ids = {item["id"] for item in listed(client, "/api/v1/buildings")}
    for place in ("grid2", "guanlan"):
        building = outside[place]["building"]
        assert_problem(client.get(f"/api/v1/buildings/{building.pk}"), 404)
        assert building.pk not in listed_ids


def test_party_member_sees_no_buildings(api_as):
    client = api_as("partymember_lvdu")
    assert listed(client, "/api/v1/buildings") == []
    building = Building.objects.filter(grid__code__startswith=LVDU).first()
    assert_problem(client.get(f"/api/v1/buildings/{building.pk}"), 404)


def test_building_filters(api_as, node, outside):
    client = api_as("community_lvdu")
    west = node(f"{LVDU_GRID1}001")
    in_west = listed(client, "/api/v1/buildings", grid=west.pk)
    assert in_west and {item["grid_id"] for item in in_west} == {west.pk}
    old = listed(client, "/api/v1/buildings", tag="old_house")
    assert old and all("老旧房屋" in item["tags"] for item in old)
    compound = outside["grid2"]["building"].compound
    assert {item["compound"] for item in listed(client, "/api/v1/buildings", q=compound)} == {
        compound
    }
    assert listed(api_as(ME), "/api/v1/buildings", grid=outside["grid2"]["grid"].pk) == []


# --- Dwellings --------------------------------------------------------------------------------


def test_dwellings_of_my_grid(api_as):
    items = listed(api_as(ME), "/api/v1/dwellings")
    expected = Dwelling.objects.filter(building__grid__code__startswith=LVDU_GRID1)
    assert {item["id"] for item in items} == set(expected.values_list("pk", flat=True))
    for item in items:
        assert item["label"] == f"{item['unit']}-{item['number']}"


def test_dwelling_by_id_and_outside_is_404(api_as, outside):
    client = api_as(ME)
    mine = Dwelling.objects.filter(
        building__grid__code__startswith=LVDU_GRID1, households__isnull=False
    ).first()
    body = client.get(f"/api/v1/dwellings/{mine.pk}").json()
    assert body["building_id"] == mine.building_id
    assert body["households"] == mine.households.count() == 1
    listed_ids = {item["id"] for item in listed(client, "/api/v1/dwellings")}
    for place in ("grid2", "guanlan"):
        dwelling = outside[place]["dwelling"]
        assert_problem(client.get(f"/api/v1/dwellings/{dwelling.pk}"), 404)
        assert dwelling.pk not in listed_ids


@pytest.mark.parametrize(("occupied", "has_households"), [("true", True), ("false", False)])
def test_dwellings_occupied_filter(api_as, occupied, has_households):
    items = listed(api_as(ME), "/api/v1/dwellings", occupied=occupied)
    mine = Dwelling.objects.filter(building__grid__code__startswith=LVDU_GRID1)
    expected = mine.filter(households__isnull=not has_households).distinct()
    assert {item["id"] for item in items} == set(expected.values_list("pk", flat=True))
    assert all((item["households"] > 0) == has_households for item in items)


def test_dwellings_building_and_grid_filters(api_as, outside):
    client = api_as(ME)
    building = Building.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    items = listed(client, "/api/v1/dwellings", building=building.pk)
    assert items and {item["building_id"] for item in items} == {building.pk}
    assert listed(client, "/api/v1/dwellings", building=outside["grid2"]["building"].pk) == []
    assert listed(client, "/api/v1/dwellings", grid=outside["guanlan"]["grid"].pk) == []


def test_occupied_filter_keeps_the_household_count(api_as):
    dwelling = Dwelling.objects.filter(
        building__grid__code__startswith=LVDU_GRID1, households__isnull=False
    ).first()
    people.create_household(actor=None, dwelling=dwelling)  # a second household moves in
    client = api_as(ME)
    assert client.get(f"/api/v1/dwellings/{dwelling.pk}").json()["households"] == 2
    items = listed(client, "/api/v1/dwellings", occupied="true", building=dwelling.building_id)
    assert [item["households"] for item in items if item["id"] == dwelling.pk] == [2]


# --- Every list: bad input, authentication, query counts --------------------------------------

LISTS = ["/api/v1/divisions", "/api/v1/grids", "/api/v1/buildings", "/api/v1/dwellings"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "ten"}, {"offset": "x"}]
)
def test_bad_paging_is_400(api_as, url, params):
    assert_problem(api_as(ME).get(url, params), 400)


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/divisions", {"parent": "x"}, "parent"),
        ("/api/v1/divisions", {"kind": "planet"}, "kind"),
        ("/api/v1/grids", {"within": "abc"}, "within"),
        ("/api/v1/grids/geojson", {"parent": "abc"}, "parent"),
        ("/api/v1/buildings", {"grid": "abc"}, "grid"),
        ("/api/v1/dwellings", {"grid": "abc"}, "grid"),
        ("/api/v1/dwellings", {"occupied": "maybe"}, "occupied"),
        ("/api/v1/dwellings", {"building": "1.5"}, "building"),
    ],
)
def test_bad_filter_is_400_naming_it(api_as, url, params, field):
    body = assert_problem(api_as(ME).get(url, params), 400)
    assert [error["field"] for error in body["errors"]] == [field]


@pytest.mark.parametrize(
    "url", ["/api/v1/divisions/x", "/api/v1/grids/x", "/api/v1/buildings/x", "/api/v1/dwellings/x"]
)
def test_id_that_is_not_a_number_is_400(api_as, url):
    assert_problem(api_as(ME).get(url), 400)


@pytest.mark.parametrize(
    "url", ["/api/v1/divisions/999999", "/api/v1/grids/999999", "/api/v1/buildings/999999"]
)
def test_missing_id_is_404_like_out_of_scope(api_as, url):
    body = assert_problem(api_as(ME).get(url), 404)
    assert body["detail"] == "不存在，或不在您的管辖范围内"


@pytest.mark.parametrize("url", [*LISTS, "/api/v1/grids/geojson"])
def test_lists_need_authentication(url):
    assert_problem(Client().get(url), 401)


@pytest.mark.parametrize("url", [*LISTS, "/api/v1/grids/geojson"])
def test_lists_do_not_query_per_item(api_as, url, django_assert_max_num_queries):
    client = api_as("district")
    client.get("/api/v1/me")  # the token's first use is recorded once
    with django_assert_max_num_queries(8):
        response = client.get(url, {} if url.endswith("geojson") else {"limit": 500})
    body = response.json()
    assert len(body.get("items", body.get("features"))) > 20
