"""Point → grid: the index, the three coordinate systems, the API."""

import numpy as np
import pytest
import shapely

from wangge.territory import geo
from wangge.territory.locate import GridIndex, get_index
from wangge.territory.models import Node

LVDU_GRID1 = "410102010003001"


def interior_point(node):
    point = shapely.geometry.shape(node.geometry).representative_point()
    return point.x, point.y


@pytest.mark.django_db
def test_point_in_lvdu_grid1_locates_there_in_every_crs(api_as):
    grid = Node.objects.get(code=LVDU_GRID1)
    lng, lat = interior_point(grid)
    client = api_as("gridworker_lvdu1")
    for crs in ("wgs84", "gcj02", "bd09"):
        shown_lng, shown_lat = geo.from_wgs84(lng, lat, crs)
        response = client.get(
            "/api/v1/grids/locate", {"lng": shown_lng, "lat": shown_lat, "crs": crs}
        )
        assert response.status_code == 200, (crs, response.content)
        body = response.json()
        assert body["grid"]["code"] == LVDU_GRID1, crs
        assert body["community"]["name"] == "绿都社区"
        assert body["street"]["name"] == "中原西路街道"
        assert body["wgs84"] == pytest.approx([lng, lat], abs=1e-7)


@pytest.mark.django_db
def test_gcj02_coordinates_taken_as_wgs84_land_elsewhere(api_as):
    """The offset is hundreds of metres in Zhengzhou: conversion is not optional."""
    grid = Node.objects.get(code=LVDU_GRID1)
    lng, lat = interior_point(grid)
    g_lng, g_lat = geo.wgs84_to_gcj02(lng, lat)
    assert abs(g_lng - lng) > 0.003
    located = get_index().locate_many([g_lng], [g_lat])[0]
    assert located != grid.pk


@pytest.mark.django_db
def test_locate_out_of_scope_and_outside_every_grid_are_404(api_as):
    guanlan = Node.objects.get(code="410102009004001")
    lng, lat = interior_point(guanlan)
    client = api_as("gridworker_lvdu1")
    response = client.get("/api/v1/grids/locate", {"lng": lng, "lat": lat})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    response = client.get("/api/v1/grids/locate", {"lng": 116.4, "lat": 39.9})
    assert response.status_code == 404
    # The street that holds 观澜 sees it.
    assert (
        api_as("district")
        .get("/api/v1/grids/locate", {"lng": lng, "lat": lat})
        .json()["grid"]["code"]
        == "410102009004001"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"lng": "east", "lat": 34.75},
        {"lng": 113.6},
        {"lng": 200, "lat": 34.75},
        {"lng": 113.6, "lat": 34.75, "crs": "epsg3857"},
    ],
)
def test_locate_bad_input_is_400(api_as, params):
    response = api_as("gridworker_lvdu1").get("/api/v1/grids/locate", params)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_micro_grid_wins_over_its_grid_and_dedicated_over_basic():
    basic = shapely.box(0, 0, 10, 10)
    rows = [
        (1, "grid", shapely.geometry.mapping(basic)),
        (2, "micro_grid", shapely.geometry.mapping(shapely.box(0, 0, 5, 10))),
        (3, "dedicated_grid", shapely.geometry.mapping(shapely.box(6, 6, 8, 8))),
        (4, "grid", shapely.geometry.mapping(shapely.box(10, 0, 20, 10))),
    ]
    index = GridIndex(rows)
    lngs, lats = np.array([1, 7, 9, 15, 30, 10]), np.array([1, 7, 1, 5, 30, 5])
    # A point on the border of grids 1 and 4 goes to the smaller id, whatever the tree order:
    # one by one in the tree (a few points) and in buckets (many) alike.
    assert index.locate_many(lngs, lats).tolist() == [2, 3, 1, 4, -1, 1]
    many = index.locate_many(np.tile(lngs, 3), np.tile(lats, 3))
    assert many.tolist() == [2, 3, 1, 4, -1, 1] * 3
    assert index.locate_many(lngs, lats, include_micro=False).tolist() == [1, 3, 1, 4, -1, 1]
    assert (
        index.locate_many(np.tile(lngs, 3), np.tile(lats, 3), include_micro=False).tolist()
        == [1, 3, 1, 4, -1, 1] * 3
    )
    assert [hit.node_id for hit in index.locate(1, 1)] == [2, 1]


def test_gcj02_and_bd09_round_trips_are_exact_enough():
    lngs = np.linspace(113.55, 113.66, 50)
    lats = np.linspace(34.72, 34.80, 50)
    for crs in ("gcj02", "bd09"):
        back = geo.to_wgs84(*geo.from_wgs84(lngs, lats, crs), crs)
        assert np.max(np.abs(back[0] - lngs)) < 1e-9
        assert np.max(np.abs(back[1] - lats)) < 1e-9
    # Outside China GCJ-02 is the identity.
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


@pytest.mark.django_db
def test_batched_lookups_agree_with_single_ones_across_the_district():
    """The bucketed batch path and the STRtree single path give the same grid everywhere,
    borders and micro-grids included."""
    index = get_index()
    rng = np.random.default_rng(7)
    lngs = rng.uniform(113.545, 113.665, 3000)
    lats = rng.uniform(34.715, 34.805, 3000)
    # Some points exactly on the lattice's shared vertices and borders.
    corners = np.array(
        [
            pt
            for node in Node.objects.filter(kind="grid")[:50]
            for pt in shapely.geometry.shape(node.geometry).exterior.coords
        ]
    )
    lngs = np.concatenate([lngs, corners[:, 0]])
    lats = np.concatenate([lats, corners[:, 1]])
    batched = index.locate_many(lngs, lats)
    single = [
        (hits[0].node_id if (hits := index.locate(x, y)) else -1)
        for x, y in zip(lngs, lats, strict=True)
    ]
    assert batched.tolist() == single
    assert (batched >= 0).sum() > 2500
