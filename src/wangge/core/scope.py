"""Who may see and change what: memberships on territory nodes, read through one door.

Every scoped model uses ``ScopedQuerySet`` and names ``scope_field``, the path from the model
to the territory node it lies in. ``Model.objects.restrict(user, action)`` keeps the rows
inside the subtrees of the nodes where one of the user's memberships grants
``<app>.<action>_<model>``. Anything else is, to that user, not there (a 404).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Self, TypeVar

from django.apps import apps
from django.db import models
from django.db.models import Q


def subtree_q(paths: list[str], field: str = "path") -> Q:
    """Nodes in any of the subtrees rooted at ``paths`` (a prefix match on the path)."""
    return reduce(or_, (Q(**{f"{field}__startswith": path}) for path in paths))


# Whether a role grants a permission (``accounts.permissions.role_allows``): roles are
# accounts', which lies above core, so accounts hands the rule in when it is ready.
_role_allows: Callable[[str, str], bool] | None = None


def use_roles(role_allows: Callable[[str, str], bool]) -> None:
    """Read memberships' roles with ``role_allows(role, permission)`` (set by accounts)."""
    global _role_allows
    _role_allows = role_allows


def common_ancestor_id(paths) -> int | None:
    """The deepest node whose subtree holds every path given (``None`` if they share none)."""
    common: list[str] | None = None
    for path in paths:
        parts = path.strip("/").split("/")
        if common is None:
            common = parts
            continue
        size = 0
        for mine, theirs in zip(common, parts, strict=False):
            if mine != theirs:
                break
            size += 1
        common = common[:size]
        if not common:
            return None
    return int(common[-1]) if common else None


@dataclass(frozen=True)
class Grant:
    node_id: int
    path: str
    role: str


class Scope:
    """The nodes a user acts on, with the role held on each."""

    def __init__(self, user):
        if _role_allows is None:
            raise RuntimeError("no roles: wangge.accounts is not installed or not ready")
        self._role_allows = _role_allows
        self.user = user
        active = bool(user and user.is_authenticated and user.is_active)
        self.unrestricted = active and user.is_superuser
        self.grants: list[Grant] = []
        if active and not self.unrestricted:
            Membership = apps.get_model("accounts", "Membership")
            rows = (
                Membership.objects.filter(user=user, is_active=True, node__is_active=True)
                .values_list("node_id", "node__path", "role")
                .order_by("node__path")
            )
            self.grants = [Grant(node_id, path, role) for node_id, path, role in rows]
        self._paths: dict[str, list[str]] = {}
        self._roots: list[str] | None = None

    def has_perm(self, perm: str) -> bool:
        return self.unrestricted or bool(self.paths(perm))

    def paths(self, perm: str) -> list[str]:
        """The smallest set of subtree paths where ``perm`` is granted."""
        if perm not in self._paths:
            granted = sorted(
                {grant.path for grant in self.grants if self._role_allows(grant.role, perm)}
            )
            minimal: list[str] = []
            for path in granted:
                if not any(path.startswith(kept) for kept in minimal):
                    minimal.append(path)
            self._paths[perm] = minimal
        return self._paths[perm]

    def allows(self, perm: str, path: str | None) -> bool:
        """Whether ``perm`` holds at the node with ``path`` (``None``: not placed in a node)."""
        if self.unrestricted:
            return True
        if path is None:
            return self.covers_roots(perm)
        return any(path.startswith(prefix) for prefix in self.paths(perm))

    def roles_at(self, path: str) -> set[str]:
        return {grant.role for grant in self.grants if path.startswith(grant.path)}

    def covers_roots(self, perm: str) -> bool:
        """Granted on every top-level node: nothing in the database lies outside."""
        if self.unrestricted:
            return True
        paths = self.paths(perm)
        if not paths:
            return False
        if self._roots is None:  # looked up once: a page restricts several models
            Node = apps.get_model("territory", "Node")
            self._roots = list(
                Node.objects.filter(parent__isnull=True).values_list("path", flat=True)
            )
        return bool(self._roots) and all(root in paths for root in self._roots)

    def node_ids(self) -> set[int]:
        """The ids of the nodes the memberships are on, and of their ancestors."""
        ids: set[int] = set()
        for grant in self.grants:
            ids.update(int(part) for part in grant.path.strip("/").split("/"))
        return ids


def get_scope(user) -> Scope:
    """The user's scope, computed once per user object (so once per request)."""
    scope = getattr(user, "_wangge_scope", None)
    if scope is None:
        scope = Scope(user)
        if user is not None:
            with contextlib.suppress(AttributeError):  # AnonymousUser has no __dict__ slot
                user._wangge_scope = scope
    return scope


def forget_scope(user) -> None:
    if hasattr(user, "_wangge_scope"):
        del user._wangge_scope


def permission_name(model, action: str) -> str:
    """``<app>.<action>_<model>``. A model whose rows are figures of another's (the cases'
    roll-ups) names that model as ``scope_permissions_of`` and is read under its permissions:
    whoever sees a grid's cases sees their counts."""
    meta = getattr(model, "scope_permissions_of", model)._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


M = TypeVar("M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[M]):
    """A queryset that knows how to keep only what a user may see."""

    def restrict(self, user, action: str = "view") -> Self:
        model = self.model
        perm = permission_name(model, action)
        scope = get_scope(user)
        if scope.unrestricted:
            return self.all()
        paths = scope.paths(perm)
        if not paths:
            return self.none()
        field = model.scope_field
        node_q = subtree_q(paths)
        if field == "":
            # The territory tree itself: the subtrees, and for reading, the ancestors
            # that give them a name and a place.
            condition = node_q
            if action == "view":
                condition |= Q(pk__in=scope.node_ids())
            return self.filter(condition)
        if scope.covers_roots(perm):
            # Whoever holds the whole territory also sees rows placed on no node
            # (system-wide events); a partial scope never does.
            return self.all()
        Node = apps.get_model("territory", "Node")
        return self.filter(**{f"{field}__in": Node.objects.filter(node_q).values("pk")})
