"""Who and what a notice reaches: its places (nodes' subtrees and buildings), the grids and
robots in them, the residents with a phone (narrowed by care tags), the followers, and the
staff holding the roles it names."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from wangge.core.scope import common_ancestor_id, subtree_q
from wangge.notices.models import Follow, Notice, Robot
from wangge.territory.choices import GRID_KINDS, STREET_KINDS, NodeKind
from wangge.territory.models import Node

# A notice whose places span more than one community is the street's (or the district's).
ABOVE_COMMUNITY = {NodeKind.DISTRICT} | STREET_KINDS


@dataclass(frozen=True)
class Recipient:
    """One person to message: where they are (for the report), how to find their address
    at send time, and a hash of it so nobody gets the same notice twice."""

    node_id: int
    address_hash: str
    person_id: int | None = None
    follow_id: int | None = None
    user_id: int | None = None
    channel: str = "sms"


def home_node(nodes, buildings) -> Node | None:
    """The smallest place holding every target: whose notice it is, and whose approval it
    needs."""
    paths = [node.path for node in nodes] + [building.grid.path for building in buildings]
    if not paths:
        return None
    pk = common_ancestor_id(paths)
    return Node.objects.get(pk=pk) if pk is not None else None


def needs_approval(node: Node) -> bool:
    """Street-wide and district-wide notices go out only once approved (审核)."""
    return node.kind in ABOVE_COMMUNITY


def _paths(notice: Notice) -> list[str]:
    return list(notice.nodes.values_list("path", flat=True))


def _building_grids(notice: Notice) -> list[int]:
    return list(notice.buildings.values_list("grid_id", flat=True))


def _in_places(notice: Notice, field: str) -> Q:
    """Rows whose ``field`` (a node) lies in the notice's places."""
    paths = _paths(notice)
    condition = Q(**{f"{field}__in": _building_grids(notice)})
    if paths:
        condition |= subtree_q(paths, f"{field}__path")
    return condition


def grids(notice: Notice):
    """The grids the notice reaches (a building reaches its own grid)."""
    paths = _paths(notice)
    condition = Q(pk__in=_building_grids(notice))
    if paths:
        condition |= subtree_q(paths)
    return Node.objects.filter(condition, kind__in=GRID_KINDS, is_active=True)


def robots(notice: Notice):
    """The group robots of the grids reached, switched on."""
    return (
        Robot.objects.filter(_in_places(notice, "grid"), is_active=True)
        .select_related("grid")
        .order_by("grid__path", "pk")
    )


def residents(notice: Notice) -> list[Recipient]:
    """Residents living in the places (or in the buildings) with a phone number; with care
    tags, only those carrying one. One per phone number."""
    from wangge.people.choices import PersonStatus
    from wangge.people.models import Person

    paths = _paths(notice)
    where = Q(household__dwelling__building__in=notice.buildings.all())
    if paths:
        where |= subtree_q(paths, "grid__path")
    people = Person._base_manager.filter(where, status=PersonStatus.ACTIVE).exclude(phone_hash="")
    tags = list(notice.care_tags.values_list("pk", flat=True))
    if tags:
        people = people.filter(care_tags__in=tags)
    rows = people.order_by("pk").values_list("pk", "grid_id", "phone_hash").distinct()
    return _unique(
        Recipient(node_id=grid, address_hash=phone, person_id=pk) for pk, grid, phone in rows
    )


def followers(notice: Notice) -> list[Recipient]:
    """Residents who follow the notices of a grid reached, by SMS or e-mail."""
    rows = (
        Follow.objects.filter(_in_places(notice, "grid"), case__isnull=True, is_active=True)
        .order_by("pk")
        .values_list("pk", "grid_id", "address_hash", "channel")
    )
    return _unique(
        Recipient(node_id=grid, address_hash=address, follow_id=pk, channel=channel)
        for pk, grid, address, channel in rows
    )


def staff(notice: Notice) -> list[Recipient]:
    """Users holding one of the notice's roles in its places, with an e-mail address."""
    from wangge.accounts.models import Membership

    if not notice.roles:
        return []
    rows = (
        Membership.objects.filter(
            _in_places(notice, "node"),
            role__in=notice.roles,
            is_active=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .order_by("user_id", "node__path")
        .values_list("user_id", "node_id")
    )
    return _unique(
        Recipient(node_id=node, address_hash=f"user:{user}", user_id=user, channel="email")
        for user, node in rows
    )


def _unique(recipients) -> list[Recipient]:
    seen: set[str] = set()
    kept = []
    for recipient in recipients:
        if recipient.address_hash not in seen:
            seen.add(recipient.address_hash)
            kept.append(recipient)
    return kept
