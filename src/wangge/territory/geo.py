"""Coordinates: WGS-84 (GPS), GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

Wangge stores WGS-84. GCJ-02 is WGS-84 plus a published, deterministic offset applied only
inside China; BD-09 is a further distortion of GCJ-02. Going back from GCJ-02 has no closed
form, so it is solved by fixed-point iteration to well under a millimetre.
Every function takes scalars or NumPy arrays.
"""

from __future__ import annotations

import numpy as np

from wangge.territory.choices import CRS

_A = 6378245.0  # semi-major axis of the Krasovsky ellipsoid the offset is defined on
_EE = 0.00669342162296594323  # its eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def in_china(lng, lat):
    """Where GCJ-02 applies (a rectangle around China, as the offset's users treat it)."""
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lng >= 72.004) & (lng <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lng, lat):
    x = lng - 105.0
    y = lat - 35.0
    root = np.sqrt(np.abs(x))
    shared = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * root
        + shared
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lng = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * root
        + shared
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lng, d_lat


def _shape(value):
    return value if np.ndim(value) else float(value)


def wgs84_to_gcj02(lng, lat):
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lng, d_lat = _offset(lng, lat)
    inside = in_china(lng, lat)
    return _shape(np.where(inside, lng + d_lng, lng)), _shape(np.where(inside, lat + d_lat, lat))


def gcj02_to_wgs84(lng, lat, *, tolerance: float = 1e-10, max_rounds: int = 30):
    """Invert the offset: find the WGS-84 point whose GCJ-02 image is the given one."""
    g_lng = np.asarray(lng, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lng, w_lat = g_lng.copy(), g_lat.copy()
    for _round in range(max_rounds):
        f_lng, f_lat = wgs84_to_gcj02(w_lng, w_lat)
        e_lng, e_lat = np.asarray(f_lng) - g_lng, np.asarray(f_lat) - g_lat
        w_lng, w_lat = w_lng - e_lng, w_lat - e_lat
        if np.all(np.abs(e_lng) < tolerance) and np.all(np.abs(e_lat) < tolerance):
            break
    return _shape(w_lng), _shape(w_lat)


def gcj02_to_bd09(lng, lat):
    x = np.asarray(lng, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _shape(z * np.cos(theta) + 0.0065), _shape(z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lng, lat, *, rounds: int = 3):
    """The usual closed-form inverse, refined by a few fixed-point rounds (to ~1e-12°)."""
    b_lng = np.asarray(lng, dtype=float)
    b_lat = np.asarray(lat, dtype=float)
    x = b_lng - 0.0065
    y = b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    g_lng, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _round in range(rounds):
        f_lng, f_lat = gcj02_to_bd09(g_lng, g_lat)
        g_lng = g_lng - (np.asarray(f_lng) - b_lng)
        g_lat = g_lat - (np.asarray(f_lat) - b_lat)
    return _shape(g_lng), _shape(g_lat)


def to_wgs84(lng, lat, crs: str = CRS.WGS84):
    """Convert input coordinates in ``crs`` to WGS-84, the stored system."""
    if crs == CRS.WGS84:
        return lng, lat
    if crs == CRS.GCJ02:
        return gcj02_to_wgs84(lng, lat)
    if crs == CRS.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))
    raise ValueError(f"unknown coordinate system {crs!r}")


def from_wgs84(lng, lat, crs: str = CRS.WGS84):
    """Convert stored WGS-84 coordinates for a map that draws in ``crs``."""
    if crs == CRS.WGS84:
        return lng, lat
    if crs == CRS.GCJ02:
        return wgs84_to_gcj02(lng, lat)
    if crs == CRS.BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))
    raise ValueError(f"unknown coordinate system {crs!r}")


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Approximate metres per degree of longitude and of latitude at ``lat``."""
    rad = np.radians(lat)
    return 111_320.0 * float(np.cos(rad)), 110_574.0
