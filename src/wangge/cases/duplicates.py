"""Possible duplicates of a case being entered: same category, near, recent, similar words."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.utils import timezone

from wangge.cases.choices import OPEN_STATES
from wangge.cases.models import Case, Category

EARTH_RADIUS_M = 6_371_000
MIN_SIMILARITY = 0.3


@dataclass
class Suggestion:
    case: Case
    distance_m: float | None
    similarity: float


def distance_m(lng1, lat1, lng2, lat2) -> float:
    """Great-circle distance (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _bigrams(text: str) -> set[str]:
    """Character pairs: a fair measure of likeness for Chinese, which has no spaces."""
    cleaned = "".join(ch for ch in (text or "") if ch.isalnum())
    return {cleaned[i : i + 2] for i in range(len(cleaned) - 1)} or set(cleaned)


def similarity(a: str, b: str) -> float:
    """Shared character pairs over the shorter text's: a short new report ("楼上狗叫") can
    match a long earlier one."""
    first, second = _bigrams(a), _bigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def find(
    cases,
    *,
    category: Category,
    text: str,
    lng: float | None = None,
    lat: float | None = None,
    grid=None,
    exclude: Case | None = None,
    now: datetime.datetime | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """Open cases in ``cases`` (already restricted to the user) that may be the same problem.

    Near means within the category's radius when both have a point, else the same grid.
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(days=category.duplicate_window_days)
    candidates = cases.filter(category=category, state__in=OPEN_STATES, created_at__gte=since)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    radius = category.duplicate_radius_m
    if lng is not None and lat is not None:
        d_lat = radius / 110_574
        d_lng = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
        near = candidates.filter(
            lng__range=(lng - d_lng, lng + d_lng), lat__range=(lat - d_lat, lat + d_lat)
        )
        if grid is not None:
            near = near | candidates.filter(grid=grid, lng__isnull=True)
    elif grid is not None:
        near = candidates.filter(grid=grid)
    else:
        return []
    suggestions = []
    for case in near.select_related("category")[:200]:
        distance = None
        if lng is not None and case.lng is not None:
            distance = distance_m(lng, lat, case.lng, case.lat)
            if distance > radius:
                continue
        score = similarity(text, f"{case.title}{case.description}")
        if score >= MIN_SIMILARITY:
            suggestions.append(Suggestion(case, distance, round(score, 3)))
    suggestions.sort(key=lambda s: (-s.similarity, s.distance_m or 0))
    return suggestions[:limit]
