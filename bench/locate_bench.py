"""Point → grid: ``GridIndex.locate_many`` over 10,000 grids, against a naive loop.

The grids are a jittered 100 × 100 lattice of quadrilaterals over the demo district's extent
(113.55–113.66 E, 34.72–34.80 N), so they tile it with shared borders, as real unit grids
do. Points are uniform over that extent plus a 1 % margin, so a few fall outside every grid.

The floor is the loop one writes first: for each point, test the grids one by one with
shapely (unprepared, no spatial index) and stop at the first that contains it. Stopping
early favours the floor; with grids tested in id order it gives the same answer as the
index (the lowest id wins on a shared border), and the two are checked to agree.

Timed: ``locate_many`` on all the points, best of three (the index built beforehand, and
timed on its own against merely parsing the GeoJSON); the naive loop on the first thousand
of the same points, best of two.
"""

from __future__ import annotations

import numpy as np
import shapely

from figures import Figure, Goal, best_of
from wangge.territory.locate import GridIndex

WEST, EAST, SOUTH, NORTH = 113.55, 113.66, 34.72, 34.80
SIZES = {
    "full": {"side": 100, "points": 1_000_000, "naive_points": 1_000, "runs": 3},
    "quick": {"side": 100, "points": 100_000, "naive_points": 300, "runs": 2},
}
SEED = 410102
JITTER = 0.2  # of a cell, on the inner vertices only, so the lattice still tiles the extent


def lattice_rows(side: int, rng: np.random.Generator) -> list[tuple[int, str, dict]]:
    """``side`` × ``side`` grid polygons as ``GridIndex`` takes them: (id, kind, GeoJSON)."""
    dx, dy = (EAST - WEST) / side, (NORTH - SOUTH) / side
    lng, lat = np.meshgrid(
        np.linspace(WEST, EAST, side + 1), np.linspace(NORTH, SOUTH, side + 1), indexing="xy"
    )
    inner = (slice(1, side), slice(1, side))
    lng[inner] += rng.uniform(-JITTER, JITTER, (side - 1, side - 1)) * dx
    lat[inner] += rng.uniform(-JITTER, JITTER, (side - 1, side - 1)) * dy
    lng, lat = lng.round(7), lat.round(7)
    rows = []
    for r in range(side):
        for c in range(side):
            corners = [(r, c), (r + 1, c), (r + 1, c + 1), (r, c + 1), (r, c)]
            ring = [[float(lng[v]), float(lat[v])] for v in corners]
            rows.append((1 + r * side + c, "grid", {"type": "Polygon", "coordinates": [ring]}))
    return rows


def random_points(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    margin_x, margin_y = (EAST - WEST) * 0.01, (NORTH - SOUTH) * 0.01
    lngs = rng.uniform(WEST - margin_x, EAST + margin_x, count)
    lats = rng.uniform(SOUTH - margin_y, NORTH + margin_y, count)
    return lngs, lats


def naive_locate(rows, lngs, lats) -> np.ndarray:
    """For each point, every polygon in id order until one contains it."""
    polygons = [(node_id, shapely.geometry.shape(geometry)) for node_id, _kind, geometry in rows]
    result = np.full(len(lngs), -1, dtype=np.int64)
    for i, (lng, lat) in enumerate(zip(lngs, lats, strict=True)):
        point = shapely.Point(lng, lat)
        for node_id, polygon in polygons:
            if polygon.intersects(point):
                result[i] = node_id
                break
    return result


def run(*, quick: bool, log=print) -> list[Figure]:
    size = SIZES["quick" if quick else "full"]
    rng = np.random.default_rng(SEED)
    rows = lattice_rows(size["side"], rng)
    grids = len(rows)
    lngs, lats = random_points(size["points"], rng)
    sample = slice(0, size["naive_points"])

    log(f"locate: building the index of {grids:,} grids (best of {size['runs']})")
    parse, _ = best_of(
        size["runs"], lambda: [shapely.geometry.shape(geometry) for _i, _k, geometry in rows]
    )
    build, index = best_of(size["runs"], lambda: GridIndex(rows))

    log(f"locate: {len(lngs):,} points, batched (best of {size['runs']})")
    batched, found = best_of(size["runs"], lambda: index.locate_many(lngs, lats))

    log(f"locate: {size['naive_points']:,} points through the naive loop (best of 2)")
    naive, naive_found = best_of(2, lambda: naive_locate(rows, lngs[sample], lats[sample]))

    expected = index.locate_many(lngs[sample], lats[sample])
    wrong = np.flatnonzero(expected != naive_found)
    if len(wrong):
        first = ", ".join(
            f"({lngs[i]:.7f}, {lats[i]:.7f}): index {expected[i]}, naive {naive_found[i]}"
            for i in wrong[:5]
        )
        raise AssertionError(
            f"locate_many and the naive loop disagree on {len(wrong)} points: {first}"
        )
    if not np.array_equal(found[sample], expected):
        raise AssertionError("locate_many gave different answers for the same points")

    rate, naive_rate = len(lngs) / batched.wall, size["naive_points"] / naive.wall
    return [
        Figure(
            name="locate.batched",
            title=f"Point → grid, batched, {grids:,} grids",
            value=rate,
            unit="points/s",
            floor=naive_rate,
            floor_title="naive per-polygon loop (shapely, Python, first hit)",
            ratio=rate / naive_rate,
            ratio_means="product ÷ floor (higher is better)",
            cpu_ratio=(naive.cpu / size["naive_points"]) / (batched.cpu / len(lngs)),
            goal=Goal(min_value=1_000_000, min_ratio=100),
            detail={
                "grids": grids,
                "points": len(lngs),
                "points in a grid": int((found >= 0).sum()),
                "seconds": _seconds(batched),
                "naive points": size["naive_points"],
                "naive seconds": _seconds(naive),
                "points/s by CPU time": round(len(lngs) / batched.cpu),
                "same answers": f"{size['naive_points']:,} of {size['naive_points']:,} points",
            },
        ),
        Figure(
            name="locate.index_build",
            title=f"Building the grid index, {grids:,} grids",
            value=build.wall,
            unit="s",
            floor=parse.wall,
            floor_title="parsing the same GeoJSON into shapely polygons",
            ratio=build.wall / parse.wall,
            ratio_means="product ÷ floor (lower is better)",
            cpu_ratio=build.cpu / parse.cpu,
            detail={"grids": grids, "seconds": _seconds(build), "floor seconds": _seconds(parse)},
        ),
    ]


def _seconds(timing) -> dict:
    return {"wall": round(timing.wall, 3), "cpu": round(timing.cpu, 3)}
