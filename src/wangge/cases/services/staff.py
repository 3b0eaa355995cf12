"""The staff a case concerns beyond its handler: the level it is escalated to, and the
people told there or at its place (notifications on their home page)."""

from __future__ import annotations

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.cases.models import Case
from wangge.core.models import Notification
from wangge.territory.choices import COMMUNITY_KINDS
from wangge.territory.models import Node


def level_above(node: Node) -> Node | None:
    """Grid → community → street: who a case is escalated to (吹哨); none above a street."""
    if node.is_grid:
        return node.community
    if node.kind in COMMUNITY_KINDS:
        return node.street
    return None


def notify_level(case: Case, text: str) -> None:
    """Tell the people responsible at the level the case is escalated to, and its handler."""
    node = case.level or case.grid
    roles = [Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.STREET_STAFF]
    users = {
        m.user
        for m in Membership.objects.filter(
            node=node, role__in=roles, is_active=True
        ).select_related("user")
    }
    if case.handler is not None:
        users.add(case.handler)
    Notification.objects.bulk_create(
        [Notification(user=user, text=text[:300], url=f"/cases/{case.pk}/") for user in users]
    )


def notify_place(case: Case, text: str) -> None:
    """Tell the people of the case's grid and community (its workers, leaders and staff)."""
    # The grid and the places just above it (a micro-grid's grid, the community).
    places = [case.grid_id, *case.grid.ancestor_ids[-3:]]
    roles = [Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF]
    users = {
        m.user
        for m in Membership.objects.filter(
            node_id__in=places, role__in=roles, is_active=True, user__is_active=True
        ).select_related("user")
    }
    Notification.objects.bulk_create(
        [Notification(user=user, text=text[:300], url=f"/cases/{case.pk}/") for user in users]
    )
