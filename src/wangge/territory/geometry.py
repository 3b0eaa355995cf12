"""Checking grid boundaries before they are stored."""

from __future__ import annotations

import json
import re

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from wangge.territory.geo import in_china, metres_per_degree

# Slivers smaller than this (square metres) come from rounding at shared borders and are
# not reported as overlaps or as lying outside the community.
AREA_TOLERANCE_M2 = 1.0


class GeometryError(ValueError):
    pass


def parse_polygon(geometry: dict | None) -> BaseGeometry:
    """A valid Polygon or MultiPolygon from GeoJSON, or ``GeometryError`` saying why not."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise GeometryError("缺少边界（geometry）")
    if geometry["type"] not in {"Polygon", "MultiPolygon"}:
        raise GeometryError(f"边界应为 Polygon 或 MultiPolygon，实为 {geometry['type']}")
    try:
        shape = shapely.geometry.shape(geometry)
    except Exception as exc:
        raise GeometryError(f"边界坐标无法解析：{exc}") from exc
    if shape.is_empty:
        raise GeometryError("边界为空")
    min_lng, min_lat, max_lng, max_lat = shape.bounds
    if not (in_china(min_lng, min_lat) and in_china(max_lng, max_lat)):
        raise GeometryError(
            "边界坐标超出中国范围（应为 WGS-84 经纬度，经度在前；是否颠倒了经纬度？）"
        )
    if not shape.is_valid:
        raise GeometryError(explain_invalid(shapely.is_valid_reason(shape)))
    return shape


def explain_invalid(reason: str) -> str:
    where = ""
    match = re.search(r"\[([-\d.]+) ([-\d.]+)\]", reason)
    if match:
        where = f"（位置 {float(match.group(1)):.6f}, {float(match.group(2)):.6f}）"
    lowered = reason.lower()
    if "self-intersection" in lowered or "ring self-intersection" in lowered:
        return f"边界自相交{where}"
    if "too few points" in lowered:
        return f"边界点数太少{where}"
    if "hole lies outside shell" in lowered:
        return f"内环位于外环之外{where}"
    if "nested shells" in lowered or "nested holes" in lowered:
        return f"边界环相互嵌套{where}"
    if "duplicate" in lowered or "repeated" in lowered:
        return f"边界有重复点{where}"
    return f"边界无效：{reason}"


def area_m2(shape: BaseGeometry) -> float:
    if shape.is_empty:
        return 0.0
    lng_m, lat_m = metres_per_degree(shape.centroid.y)
    return shape.area * lng_m * lat_m


def overlap_m2(a: BaseGeometry, b: BaseGeometry) -> float:
    if not a.intersects(b):
        return 0.0
    return area_m2(a.intersection(b))


def outside_m2(inner: BaseGeometry, outer: BaseGeometry) -> float:
    return area_m2(inner.difference(outer))


def bbox(shape: BaseGeometry) -> dict:
    min_lng, min_lat, max_lng, max_lat = shape.bounds
    return {"min_lng": min_lng, "min_lat": min_lat, "max_lng": max_lng, "max_lat": max_lat}


def transform_geometry(geometry: dict, convert) -> dict:
    """Apply ``convert(lngs, lats) -> (lngs, lats)`` to every coordinate of a GeoJSON geometry."""

    def _apply(coords):
        lngs, lats = convert(coords[:, 0], coords[:, 1])
        return np.column_stack([lngs, lats])

    shape = shapely.transform(shapely.geometry.shape(geometry), _apply)
    return json.loads(shapely.to_geojson(shape))
