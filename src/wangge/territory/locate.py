"""Point → grid, through an in-memory STRtree of the grid boundaries.

Each process keeps one index and rebuilds it when the grid geometry version (a counter the
territory services bump on every grid change) moves on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from wangge.core import memo
from wangge.territory.choices import GRID_KINDS, LOCATE_PRIORITY, NodeKind

GRID_VERSION = "territory.grids"


FEW = 8  # up to this many points are looked up one by one in the STRtree


@dataclass
class Hit:
    node_id: int
    kind: str


class GridIndex:
    """Grid polygons, for point lookups one at a time or millions at once.

    Batches go through a uniform grid of buckets laid over the polygons' extent: points are
    sorted into buckets, then each polygon is tested (prepared, vectorised with
    ``shapely.intersects_xy``) against only the points of the buckets its bounding box
    touches. No point objects are made, which is what makes a million points a second. Single
    points use the STRtree.
    """

    def __init__(self, rows: list[tuple[int, str, dict]]):
        self.ids = np.array([row[0] for row in rows], dtype=np.int64)
        self.kinds = [row[1] for row in rows]
        self.priority = np.array([LOCATE_PRIORITY[row[1]] for row in rows], dtype=np.int64)
        self.geoms = np.array([shapely.geometry.shape(row[2]) for row in rows], dtype=object)
        if len(self.geoms):
            shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.micro = np.array([kind == NodeKind.MICRO_GRID for kind in self.kinds], dtype=bool)
        self._build_buckets()

    def _build_buckets(self) -> None:
        if not len(self.geoms):
            self.bounds = None
            return
        bounds = shapely.bounds(self.geoms)  # min_x, min_y, max_x, max_y per polygon
        self.bounds = (
            bounds[:, 0].min(),
            bounds[:, 1].min(),
            bounds[:, 2].max(),
            bounds[:, 3].max(),
        )
        # Buckets about the size of a typical polygon: each polygon touches a few.
        width = max(float(np.median(bounds[:, 2] - bounds[:, 0])), 1e-9)
        height = max(float(np.median(bounds[:, 3] - bounds[:, 1])), 1e-9)
        west, south, east, north = self.bounds
        self.cell = (width, height)
        self.columns = max(1, int(np.ceil((east - west) / width)))
        self.rows = max(1, int(np.ceil((north - south) / height)))
        self.polygon_cells = np.column_stack(
            [
                self._column(bounds[:, 0]),
                self._column(bounds[:, 2]),
                self._row(bounds[:, 1]),
                self._row(bounds[:, 3]),
            ]
        )

    def _column(self, xs):
        return np.clip(((xs - self.bounds[0]) / self.cell[0]).astype(np.int64), 0, self.columns - 1)

    def _row(self, ys):
        return np.clip(((ys - self.bounds[1]) / self.cell[1]).astype(np.int64), 0, self.rows - 1)

    def __len__(self):
        return len(self.ids)

    def locate_many(self, lngs, lats, *, include_micro: bool = True) -> np.ndarray:
        """Node id of the most specific grid containing each point, ``-1`` where none does.

        Points on a border shared by two grids of the same kind go to the smaller id, so the
        answer never depends on the order of the polygons.
        """
        xs = np.ascontiguousarray(lngs, dtype=float).ravel()
        ys = np.ascontiguousarray(lats, dtype=float).ravel()
        result = np.full(len(xs), -1, dtype=np.int64)
        if self.bounds is None or not len(xs):
            return result
        if len(xs) <= FEW:
            # A report's one point: the tree finds its few polygons; the buckets would test all.
            for index, (x, y) in enumerate(zip(xs, ys, strict=True)):
                hits = self.locate(x, y, include_micro=include_micro)
                result[index] = hits[0].node_id if hits else -1
            return result
        west, south, east, north = self.bounds
        inside = np.flatnonzero((xs >= west) & (xs <= east) & (ys >= south) & (ys <= north))
        buckets = self._column(xs[inside]) * self.rows + self._row(ys[inside])
        order = np.argsort(buckets, kind="stable")
        sorted_points = inside[order]
        starts = np.searchsorted(buckets[order], np.arange(self.columns * self.rows + 1))
        best = np.zeros(len(xs), dtype=np.int64)  # priority of the best grid so far
        for index, (c0, c1, r0, r1) in enumerate(self.polygon_cells):
            if not include_micro and self.micro[index]:
                continue
            pieces = [
                sorted_points[starts[c * self.rows + r0] : starts[c * self.rows + r1 + 1]]
                for c in range(c0, c1 + 1)
            ]
            candidates = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
            if not len(candidates):
                continue
            hits = candidates[
                shapely.intersects_xy(self.geoms[index], xs[candidates], ys[candidates])
            ]
            if not len(hits):
                continue
            priority, node_id = self.priority[index], self.ids[index]
            better = (priority > best[hits]) | (
                (priority == best[hits]) & ((result[hits] < 0) | (node_id < result[hits]))
            )
            winners = hits[better]
            result[winners] = node_id
            best[winners] = priority
        return result

    def locate(self, lng: float, lat: float, *, include_micro: bool = True) -> list[Hit]:
        """Every grid containing the point, most specific first (then by smaller id)."""
        found = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        if not include_micro:
            found = [i for i in found if not self.micro[i]]
        hits = sorted(found, key=lambda i: (-self.priority[i], self.ids[i]))
        return [Hit(int(self.ids[i]), self.kinds[i]) for i in hits]


_lock = threading.Lock()
_cache: dict[str, object] = {"version": None, "index": None}


def build_index() -> GridIndex:
    from wangge.territory.models import Node

    rows = list(
        Node.objects.filter(kind__in=GRID_KINDS, is_active=True, geometry__isnull=False)
        .order_by("id")
        .values_list("id", "kind", "geometry")
    )
    return GridIndex(rows)


def get_index() -> GridIndex:
    """This process's index, rebuilt if the grids changed since it was built (checked once
    per ``steady()`` block)."""
    return memo.remember(("territory.grid_index",), _current_index)


def _current_index() -> GridIndex:
    version = memo.version(GRID_VERSION)
    if _cache["version"] != version or _cache["index"] is None:
        with _lock:
            if _cache["version"] != version or _cache["index"] is None:
                _cache["index"] = build_index()
                _cache["version"] = version
    return _cache["index"]


def invalidate() -> None:
    with _lock:
        _cache["version"] = None
        _cache["index"] = None


__all__ = ["GRID_KINDS", "GRID_VERSION", "GridIndex", "Hit", "get_index", "invalidate"]
