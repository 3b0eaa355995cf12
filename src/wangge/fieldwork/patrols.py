"""Patrols (巡查): the trace as segments with its gaps, the distance and time walked, who may
walk with whom, and each worker's time on patrol by day or month.

A trace is split into segments wherever two fixes are more than ``gap_seconds()`` apart or the
phone marked a gap (no fix, the screen off, the page closed): a gap is shown as a gap, never
joined by a straight line, and only what lies within segments counts as distance and time.

Configuration (settings, from the environment where the deployment sets them):
``WANGGE_PATROL_GAP_SECONDS`` (default 120) and ``WANGGE_PATROL_DAILY_MINUTES`` (the time on
patrol local practice asks of a worker each day, default 120: two hours)."""

from __future__ import annotations

import datetime
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.territory.choices import NodeKind

EARTH_RADIUS_M = 6_371_008.8
MAX_BATCH = 500  # points a phone may send at once
# Who walks a patrol with the worker: the people with a membership on its ground.
MEMBER_ROLES = {
    Role.GRID_WORKER,
    Role.GRID_LEADER,
    Role.PARTY_MEMBER,
    Role.COMMUNITY_STAFF,
    Role.BUILDING_HEAD,
    Role.VOLUNTEER,
}
# What a patrol covers: a grid (of any kind) or a whole community.
PATROL_GROUND = {
    NodeKind.GRID,
    NodeKind.DEDICATED_GRID,
    NodeKind.MICRO_GRID,
    NodeKind.COMMUNITY,
    NodeKind.VILLAGE,
}
CHECKPOINT_GROUND = {NodeKind.GRID, NodeKind.DEDICATED_GRID, NodeKind.MICRO_GRID}


def gap_seconds() -> int:
    return settings.WANGGE_PATROL_GAP_SECONDS


def daily_minutes() -> int:
    return settings.WANGGE_PATROL_DAILY_MINUTES


@dataclass(frozen=True)
class Fix:
    at: datetime.datetime
    lng: float
    lat: float
    gap_before: bool = False


def metres(a: Fix, b: Fix) -> float:
    """The great-circle distance between two fixes (haversine), in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def segments(fixes: Iterable[Fix], gap: int | None = None) -> list[list[Fix]]:
    """The fixes (in time order) cut where they are more than ``gap`` seconds apart or the
    phone marked a gap before one."""
    gap = gap_seconds() if gap is None else gap
    found: list[list[Fix]] = []
    for fix in fixes:
        last = found[-1][-1] if found else None
        if last is None or fix.gap_before or (fix.at - last.at).total_seconds() > gap:
            found.append([fix])
        else:
            found[-1].append(fix)
    return found


@dataclass
class Measure:
    distance_m: float = 0.0
    duration_s: float = 0.0
    points: int = 0
    segments: int = 0


def measure(parts: Sequence[Sequence[Fix]]) -> Measure:
    """Distance and time within the segments; the gaps between them count for nothing."""
    result = Measure(segments=len(parts))
    for part in parts:
        result.points += len(part)
        for a, b in itertools.pairwise(part):
            result.distance_m += metres(a, b)
        if len(part) > 1:
            result.duration_s += (part[-1].at - part[0].at).total_seconds()
    return result


def fixes_of(patrol) -> list[Fix]:
    rows = patrol.points.order_by("recorded_at").values_list(
        "recorded_at", "lng", "lat", "gap_before"
    )
    return [Fix(at, lng, lat, gap) for at, lng, lat, gap in rows]


def trace_geojson(parts: Sequence[Sequence[Fix]]) -> dict:
    """The trace as GeoJSON: a MultiLineString, one line per segment (a segment of a single
    fix is a line of one position, kept so the fix is not lost)."""
    return {
        "type": "MultiLineString",
        "coordinates": [[[round(f.lng, 6), round(f.lat, 6)] for f in part] for part in parts],
    }


def local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


# --- Who walks -------------------------------------------------------------------------------


def community_of(node):
    """The community (or village) a grid lies in; the node itself when it is one."""
    from wangge.territory.models import Node

    if node.kind in (NodeKind.COMMUNITY, NodeKind.VILLAGE):
        return node
    ids = [int(part) for part in node.path.strip("/").split("/")]
    return (
        Node.objects.filter(pk__in=ids, kind__in=[NodeKind.COMMUNITY, NodeKind.VILLAGE])
        .defer("geometry")
        .first()
        or node
    )


def candidates(node: Any) -> Any:
    """The people who may walk a patrol on ``node``: those with a membership (of a role that
    patrols) in its community, the grids' workers and the party members among them."""
    from wangge.accounts.models import User

    community = community_of(node)
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role__in=MEMBER_ROLES,
            memberships__node__path__startswith=community.path,
        )
        .distinct()
        .order_by("display_name", "username")
    )


def is_member(patrol: Any, user: Any) -> bool:
    if user is None:
        return False
    return patrol.leader_id == user.pk or patrol.members.filter(pk=user.pk).exists()


# --- Time on patrol, per worker ---------------------------------------------------------------


@dataclass
class WorkerTotal:
    user_id: int
    name: str
    period: str  # "2026-12-09" for a day, "2026-12" for a month
    patrols: int = 0
    duration_s: float = 0.0
    distance_m: float = 0.0
    target_s: int = 0
    met: bool = False
    ids: list[int] = field(default_factory=list)


def worker_totals(patrols, *, by: str = "day") -> list[WorkerTotal]:
    """Each member's patrols summed by local day (or month): every member of a patrol walked
    all of it. A day's total is measured against the daily target; a month's against the
    target times the days on which the worker patrolled."""
    from wangge.accounts.models import User

    rows = (
        patrols.exclude(started_at__isnull=True)
        .filter(~Q(state="cancelled"))
        .values_list("pk", "leader_id", "started_at", "duration_s", "distance_m")
    )
    members: dict[int, set[int]] = defaultdict(set)
    patrol_rows = list(rows)
    through = patrols.model.members.through
    ids = [row[0] for row in patrol_rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for patrol_id, user_id in through.objects.filter(patrol_id__in=chunk).values_list(
            "patrol_id", "user_id"
        ):
            members[patrol_id].add(user_id)
    totals: dict[tuple[int, str], WorkerTotal] = {}
    days: dict[tuple[int, str], set] = defaultdict(set)
    for pk, leader_id, started_at, duration, distance in patrol_rows:
        day = local_day(started_at)
        period = day.isoformat() if by == "day" else f"{day:%Y-%m}"
        for user_id in members[pk] | {leader_id}:
            key = (user_id, period)
            total = totals.get(key) or WorkerTotal(user_id=user_id, name="", period=period)
            totals[key] = total
            total.patrols += 1
            total.duration_s += duration
            total.distance_m += distance
            total.ids.append(pk)
            days[key].add(day)
    names = {user.pk: user.name for user in User.objects.filter(pk__in={k[0] for k in totals})}
    target = daily_minutes() * 60
    for key, total in totals.items():
        total.name = names.get(total.user_id, "")
        total.target_s = target * len(days[key])
        total.met = total.duration_s >= total.target_s
    return sorted(totals.values(), key=lambda t: (t.period, t.name), reverse=False)


def place_name(node) -> str:
    """A patrol's ground as lists name it: a grid with its community (第1网格 is in every
    community), a community by itself."""
    if node.kind in (NodeKind.COMMUNITY, NodeKind.VILLAGE) or node.parent_id is None:
        return node.name
    return f"{node.parent.name} {node.name}"


def local_moment(moment: datetime.datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""
