"""Checking grid boundaries before they are stored."""

from __future__ import annotations

import json
import re

import numpy as np
import shapely
from django.utils.translation import gettext
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
        raise GeometryError(gettext("No boundary (geometry)"))
    if geometry["type"] not in {"Polygon", "MultiPolygon"}:
        raise GeometryError(
            gettext("The boundary should be a Polygon or a MultiPolygon, not %(type)s")
            % {"type": geometry["type"]}
        )
    try:
        shape = shapely.geometry.shape(geometry)
    except Exception as exc:
        raise GeometryError(
            gettext("The boundary's coordinates cannot be read: %(error)s") % {"error": exc}
        ) from exc
    if shape.is_empty:
        raise GeometryError(gettext("The boundary is empty"))
    min_lng, min_lat, max_lng, max_lat = shape.bounds
    if not (in_china(min_lng, min_lat) and in_china(max_lng, max_lat)):
        raise GeometryError(
            gettext(
                "The boundary lies outside China (WGS-84 longitude first, then latitude: are they"
                " the wrong way round?)"
            )
        )
    if not shape.is_valid:
        raise GeometryError(explain_invalid(shapely.is_valid_reason(shape)))
    return shape


def explain_invalid(reason: str) -> str:
    where = ""
    match = re.search(r"\[([-\d.]+) ([-\d.]+)\]", reason)
    if match:
        where = gettext(" (at %(lng)s, %(lat)s)") % {
            "lng": f"{float(match.group(1)):.6f}",
            "lat": f"{float(match.group(2)):.6f}",
        }
    lowered = reason.lower()
    if "self-intersection" in lowered or "ring self-intersection" in lowered:
        return gettext("The boundary crosses itself") + where
    if "too few points" in lowered:
        return gettext("The boundary has too few points") + where
    if "hole lies outside shell" in lowered:
        return gettext("A hole lies outside the outer ring") + where
    if "nested shells" in lowered or "nested holes" in lowered:
        return gettext("The boundary's rings are nested") + where
    if "duplicate" in lowered or "repeated" in lowered:
        return gettext("The boundary repeats a point") + where
    return gettext("The boundary is not valid: %(reason)s") % {"reason": reason}


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
