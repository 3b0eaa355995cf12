"""GeoJSON for the map page: coordinates rounded, in the coordinate system the tiles use.

Stored geometry is WGS-84 (DESIGN.md, "Geography"). A base map in GCJ-02 (AMap, Tencent) is
offset by several hundred metres from it, so the overlays are converted at this edge, never
in the database. Six decimals are about 0.1 m: more would only make the payload larger.
"""

from __future__ import annotations

import json
import math

import numpy as np
from django.conf import settings

from wangge.territory.choices import CRS
from wangge.territory.geo import from_wgs84, to_wgs84

DECIMALS = 6
# The systems a Leaflet base map can be drawn in; BD-09 (Baidu) needs its own projection.
TILE_CRS = {CRS.WGS84, CRS.GCJ02}


class BadBBox(ValueError):
    """``?bbox=`` is not four numbers west,south,east,north."""


def map_crs() -> str:
    return settings.WANGGE_MAP_TILES_CRS


def _convert(points: np.ndarray, crs: str) -> list:
    """``points`` (n × 2, lng/lat in WGS-84) → lists in ``crs``, rounded."""
    if crs != CRS.WGS84 and len(points):
        lngs, lats = from_wgs84(points[:, 0], points[:, 1], crs)
        points = np.column_stack([lngs, lats])
    return np.round(points, DECIMALS).tolist()


def _coordinates(value, crs: str):
    """Nested GeoJSON coordinates, converted and rounded at the level of the positions."""
    if value and isinstance(value[0], (int, float)):
        return _convert(np.asarray([value[:2]], dtype=float), crs)[0]
    if value and value[0] and isinstance(value[0][0], (int, float)):
        return _convert(np.asarray([position[:2] for position in value], dtype=float), crs)
    return [_coordinates(part, crs) for part in value]


def geometry(geometry: dict, crs: str) -> dict:
    """A Polygon or MultiPolygon (any GeoJSON geometry but a collection) for the map."""
    return {"type": geometry["type"], "coordinates": _coordinates(geometry["coordinates"], crs)}


def points(rows, crs: str) -> list[list[float]]:
    """``[(lng, lat), …]`` in WGS-84 → positions for the map, in one vectorised pass."""
    return _convert(np.asarray(rows, dtype=float).reshape(-1, 2), crs)


def feature(geometry: dict, properties: dict) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(position: list[float]) -> dict:
    return {"type": "Point", "coordinates": position}


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def text(value: str) -> str:
    """A string as JSON (UTF-8 kept, as in the layers' answers)."""
    return _encode_string(value)


def points_text(positions: list[list[float]], properties: list[str]) -> str:
    """A FeatureCollection of points as JSON text, from positions and each point's
    properties already written as JSON: a layer of thousands of points is written without
    a dictionary per point (which costs more to build, encode and collect than the text)."""
    features = ",".join(
        f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lng!r},{lat!r}]}},'
        f'"properties":{props}}}'
        for (lng, lat), props in zip(positions, properties, strict=True)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


_encode_string = json.JSONEncoder(ensure_ascii=False).encode


def parse_bbox(value: str | None, crs: str) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in the map's system → the same box in WGS-84 (``None``
    when not given or empty). Anything else raises ``BadBBox``."""
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise BadBBox(value)
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError as exc:
        raise BadBBox(value) from exc
    if not all(math.isfinite(number) for number in (west, south, east, north)):
        raise BadBBox(value)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise BadBBox(value)
    if crs != CRS.WGS84:
        # The offset is smooth and small: converting the corners keeps the box.
        (west, east), (south, north) = to_wgs84(
            np.array([west, east]), np.array([south, north]), crs
        )
    return float(west), float(south), float(east), float(north)
