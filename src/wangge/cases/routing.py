"""Who gets a case: ordered, editable rules, then the grid's own worker.

A rule matches a case when its node holds the case's grid (or it has none), its category is
the case's or an ancestor of it (or it has none; compared by code, so a rule written for one
version of the category tree keeps working in the next), and its kind is the case's (or
blank). The first active match by position decides: a person, the role on duty at the case's
place (the nearest node up the tree where someone holds it), or a team. With no match, the
case goes to the grid worker of its grid, and failing that to the community's staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership, User
from wangge.cases.choices import TargetKind
from wangge.cases.models import Category, RoutingRule, Team
from wangge.core.memo import kept, remember, version


@dataclass
class Route:
    user: User | None = None
    team: Team | None = None
    rule: RoutingRule | None = None

    @property
    def found(self) -> bool:
        return self.user is not None or self.team is not None


def category_chain(category: Category) -> list[str]:
    """The codes of the category and its ancestors, nearest first."""
    chain = []
    node = category
    while node is not None:
        chain.append(node.code)
        node = node.parent
    return chain


def on_duty(role: str, grid) -> User | None:
    """Someone holding ``role`` at ``grid`` or the nearest node above it."""
    return remember(("on_duty", role, grid.pk), lambda: _on_duty(role, grid))


def _on_duty(role: str, grid) -> User | None:
    ordered = [grid.pk, *reversed(grid.ancestor_ids)]  # the grid first, then upwards
    ids = ordered
    memberships = {
        membership.node_id: membership
        for membership in Membership.objects.filter(
            role=role, node_id__in=ids, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("node_id", "id")
    }
    for node_id in ordered:
        if node_id in memberships:
            return memberships[node_id].user
    return None


def route(*, grid, category: Category, kind: str) -> Route:
    chain = kept(("category_chain", category.pk), lambda: category_chain(category))
    # The rules are a standard: kept by the process until an administrator edits one (or the
    # territory changes, which may move a rule's node).
    rules = kept(
        ("routing_rules", version("territory.grids")),
        lambda: list(
            RoutingRule.objects.filter(is_active=True).select_related(
                "node", "category", "user", "team"
            )
        ),
    )
    for rule in rules:
        if rule.node_id and not grid.path.startswith(rule.node.path):
            continue
        if rule.category_id and rule.category.code not in chain:
            continue
        if rule.kind and rule.kind != kind:
            continue
        if rule.target_kind == TargetKind.USER and rule.user_id:
            return Route(user=rule.user, rule=rule)
        if rule.target_kind == TargetKind.TEAM and rule.team_id:
            return Route(team=rule.team, rule=rule)
        if rule.target_kind == TargetKind.ROLE and rule.role:
            user = on_duty(rule.role, grid)
            if user is not None:
                return Route(user=user, rule=rule)
    # A micro-grid's case goes to the worker of the grid above when it has none of its own.
    for role in (Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF):
        user = on_duty(role, grid)
        if user is not None:
            return Route(user=user)
    return Route()
