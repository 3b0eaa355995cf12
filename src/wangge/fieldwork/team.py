"""The grid team (网格团队) and who sees which errand.

A grid's team is the people holding a team role on the grid, on a place inside it (a building
head on a micro-grid) or on the community above it (a party member who reports to the
community, the community's police officer). Helpers — building heads, party members, police,
property staff, volunteers — see the register's places at most, never its people: of the
errands they see only those given to them, and a helper who looks after buildings also those of
the people living there. Offices, grid leaders and grid workers see every errand of their places.

Service hours are the minutes of errands done, summed per helper and month (Asia/Shanghai).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.core.scope import get_scope, subtree_q
from wangge.fieldwork.models import (
    HELPER_ROLES as HELPER_ROLES,
)
from wangge.fieldwork.models import (
    CareRequest,
    TeamContact,
    TeamDuty,
)
from wangge.territory.choices import GRID_KINDS, NodeKind
from wangge.territory.models import Node

TEAM_ROLES = HELPER_ROLES | {Role.GRID_WORKER, Role.GRID_LEADER}
# The places a team member of a grid may hold their role on, above the grid itself.
TEAM_PLACE_KINDS = frozenset({NodeKind.COMMUNITY, NodeKind.VILLAGE, *GRID_KINDS})
# The errands' states that count as done (their minutes are service hours).
DONE_STATES = ("done", "rated")
OPEN_STATES = ("open", "assigned")


def ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/")]


def team_q(grid: Node, prefix: str = "") -> Q:
    """The memberships of ``grid``'s team: on the grid or inside it, or on the places above it
    up to its community (``prefix``: the path from the filtered model to the membership)."""
    above = ancestor_ids(grid.path)[:-1]
    return Q(**{f"{prefix}node__path__startswith": grid.path}) | Q(
        **{f"{prefix}node_id__in": above, f"{prefix}node__kind__in": TEAM_PLACE_KINDS}
    )


def reaches(node: Node, grid: Node) -> bool:
    """Whether a membership on ``node`` makes its holder one of ``grid``'s team."""
    if node.path.startswith(grid.path):
        return True
    return grid.path.startswith(node.path) and node.kind in TEAM_PLACE_KINDS


def team_memberships(user) -> QuerySet[Membership]:
    """The team memberships ``user`` may see (``fieldwork.view_teamduty``): those in their
    places, and, for context, those on the places above them up to the community — a grid
    worker sees the party members who report to their community, never another community's."""
    base = Membership.objects.filter(
        is_active=True, user__is_active=True, role__in=TEAM_ROLES
    ).select_related("user", "node", "node__parent")
    scope = get_scope(user)
    if scope.unrestricted:
        return base
    paths = scope.paths("fieldwork.view_teamduty")
    if not paths:
        return base.none()
    above = {pk for path in paths for pk in ancestor_ids(path)[:-1]}
    return base.filter(
        subtree_q(paths, "node__path") | Q(node_id__in=above, node__kind__in=TEAM_PLACE_KINDS)
    )


def helpers_of(grid: Node) -> QuerySet[Membership]:
    """Who may be given an errand of a person of ``grid``: its team."""
    return (
        Membership.objects.filter(is_active=True, user__is_active=True, role__in=TEAM_ROLES)
        .filter(team_q(grid))
        .select_related("user", "node")
        .order_by("role", "user__display_name", "user__username")
    )


def is_helper_of(user, grid: Node) -> bool:
    return helpers_of(grid).filter(user=user).exists()


def local_month(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")


def minutes_by_helper(errands, *, months: int | None = None) -> dict[int, dict[str, int]]:
    """Minutes of done errands per helper and month (``YYYY-MM``, local time): ``{user_id:
    {month: minutes}}``; ``months``: only the last so many months, this one included."""
    rows = errands.filter(state__in=DONE_STATES, assignee__isnull=False, minutes__isnull=False)
    if months is not None:
        today = timezone.localdate()
        start = today.replace(day=1)
        for _step in range(months - 1):
            start = (start - datetime.timedelta(days=1)).replace(day=1)
        since = datetime.datetime.combine(start, datetime.time(), timezone.get_current_timezone())
        rows = rows.filter(done_at__gte=since)
    totals: dict[int, dict[str, int]] = defaultdict(dict)
    grouped = (
        rows.annotate(month=TruncMonth("done_at", tzinfo=timezone.get_current_timezone()))
        .values("assignee_id", "month")
        .annotate(minutes=Sum("minutes"))
        .order_by("assignee_id", "month")
    )
    for row in grouped:
        totals[row["assignee_id"]][row["month"].strftime("%Y-%m")] = row["minutes"]
    return dict(totals)


def open_by_helper(errands) -> dict[int, int]:
    rows = (
        errands.filter(state="assigned", assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal (service records count hours)."""
    return f"{(minutes or 0) / 60:.1f}"


def member_facts(user, members) -> dict[int, dict]:
    """For each membership of ``members`` (a page of the team), what the team page, the API
    and the export show beside it, as ``user`` may see it: the contact number masked, the
    buildings looked after, the errands given and not yet done, and the service minutes by
    month (this one and the last twelve). A fixed number of queries."""
    ids = [membership.pk for membership in members]
    users = {membership.user_id for membership in members}
    phones = {
        contact.membership_id: contact.phone_masked
        for contact in TeamContact.objects.restrict(user, "view").filter(membership_id__in=ids)
    }
    buildings: dict[int, list[str]] = defaultdict(list)
    building_ids: dict[int, list[int]] = defaultdict(list)
    duties = (
        TeamDuty.objects.restrict(user, "view")
        .filter(membership_id__in=ids)
        .select_related("building")
        .order_by("building__compound", "building__name", "id")
    )
    for duty in duties:
        buildings[duty.membership_id].append(f"{duty.building.compound}{duty.building.name}")
        building_ids[duty.membership_id].append(duty.building_id)
    errands = CareRequest.objects.restrict(user, "view").filter(assignee_id__in=users)
    waiting = open_by_helper(errands)
    minutes = minutes_by_helper(errands, months=12)
    this_month = local_month(timezone.now())
    facts = {}
    for membership in members:
        months = minutes.get(membership.user_id, {})
        facts[membership.pk] = {
            "phone": phones.get(membership.pk, ""),
            "buildings": buildings.get(membership.pk, []),
            "building_ids": building_ids.get(membership.pk, []),
            "open": waiting.get(membership.user_id, 0),
            "months": months,
            "month_minutes": months.get(this_month, 0),
            "year_minutes": sum(months.values()),
        }
    return facts


def may_see_team(user) -> bool:
    return get_scope(user).has_perm("fieldwork.view_teamduty")
