"""Places: divisions and grids created and changed — their codes and parents checked, their
shapes and the path that orders the tree written — each with its audit event."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import shapely
from django.db import transaction
from django.utils.translation import gettext
from shapely.geometry.base import BaseGeometry

from wangge.core import audit
from wangge.core.errors import ValidationError
from wangge.core.services import bump_counter, check_scope
from wangge.territory import geometry
from wangge.territory.choices import ALLOWED_PARENTS, CODE_LENGTHS, GRID_KINDS, NodeKind
from wangge.territory.locate import GRID_VERSION
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User


def node_snapshot(node: Node) -> dict:
    data = audit.snapshot(node)
    for key in ("min_lng", "min_lat", "max_lng", "max_lat", "path", "depth"):
        data.pop(key, None)
    if node.geometry:
        # Boundaries are large: the log keeps their fingerprint and area, not the points.
        text = json.dumps(node.geometry, sort_keys=True).encode()
        data["geometry"] = {
            "sha1": hashlib.sha1(text).hexdigest(),
            "area_m2": round(geometry.area_m2(shapely.geometry.shape(node.geometry))),
        }
    return data


def check_code(kind: str, code: str, parent: Node | None) -> str | None:
    """The reason ``code`` does not fit ``kind`` under ``parent``, or ``None``."""
    expected = CODE_LENGTHS[kind]
    if not code.isdigit() or len(code) != expected:
        return gettext("The code should be %(n)s digits") % {"n": expected}
    if parent is not None and CODE_LENGTHS.get(parent.kind) and not code.startswith(parent.code):
        return gettext("The code should begin with its parent's code %(code)s") % {
            "code": parent.code
        }
    return None


def check_parent(kind: str, parent: Node | None) -> str | None:
    allowed = ALLOWED_PARENTS[kind]
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in allowed:
        above = NodeKind(parent.kind).label if parent is not None else gettext("the top")
        return gettext("A %(kind)s cannot be under %(above)s") % {
            "kind": NodeKind(kind).label,
            "above": above,
        }
    return None


def _place(node: Node, shape: BaseGeometry | None) -> None:
    if shape is None:
        node.geometry = None
        node.min_lng = node.min_lat = node.max_lng = node.max_lat = None
        return
    for key, value in geometry.bbox(shape).items():
        setattr(node, key, value)


def _save_new_node(node: Node) -> None:
    parent_path = node.parent.path if node.parent is not None else "/"
    node.path = f"{parent_path}new-{node.code}/"
    node.depth = parent_path.count("/") - 1
    node.save()
    node.path = f"{parent_path}{node.pk}/"
    Node.objects.filter(pk=node.pk).update(path=node.path)


@transaction.atomic
def create_node(
    *,
    actor: User | None,
    kind: str,
    code: str,
    name: str,
    parent: Node | None = None,
    geometry_json: dict | None = None,
    description: str = "",
    reason: str = "",
) -> Node:
    """Add a division or a grid under ``parent``."""
    check_scope(actor, Node(), "add", path=parent.path if parent else None)
    errors = {}
    if problem := check_parent(kind, parent):
        errors["parent"] = problem
    if problem := check_code(kind, code, parent):
        errors["code"] = problem
    elif Node.objects.filter(code=code).exists():
        errors["code"] = gettext("Code %(code)s exists already") % {"code": code}
    if not name.strip():
        errors["name"] = gettext("The name may not be empty")
    shape = None
    if geometry_json is not None:
        try:
            shape = geometry.parse_polygon(geometry_json)
        except geometry.GeometryError as exc:
            errors["geometry"] = str(exc)
    elif kind in GRID_KINDS:
        errors["geometry"] = gettext("A grid must have its boundary")
    if errors:
        raise ValidationError(errors)
    node = Node(kind=kind, parent=parent, code=code, name=name.strip(), description=description)
    node.geometry = geometry_json
    _place(node, shape)
    _save_new_node(node)
    audit.record(
        actor=actor,
        action="territory.node.created",
        target=node,
        node=node,
        after=node_snapshot(node),
        reason=reason,
    )
    if kind in GRID_KINDS:
        bump_counter(GRID_VERSION)
    return node


@transaction.atomic
def update_node(
    *,
    actor: User | None,
    node: Node,
    name: str | None = None,
    geometry_json: dict | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    reason: str = "",
) -> Node:
    check_scope(actor, node, "change", path=node.path)
    before = node_snapshot(node)
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": gettext("The name may not be empty")})
        node.name = name.strip()
    if description is not None:
        node.description = description
    if is_active is not None:
        node.is_active = is_active
    if geometry_json is not None:
        try:
            shape = geometry.parse_polygon(geometry_json)
        except geometry.GeometryError as exc:
            raise ValidationError({"geometry": str(exc)}) from exc
        node.geometry = geometry_json
        _place(node, shape)
    node.save()
    audit.record(
        actor=actor,
        action="territory.node.updated",
        target=node,
        node=node,
        before=before,
        after=node_snapshot(node),
        reason=reason,
    )
    if node.kind in GRID_KINDS:
        bump_counter(GRID_VERSION)
    return node
