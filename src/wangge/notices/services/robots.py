"""A grid group's WeCom robots: their keys checked, stored encrypted and never shown again."""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit, crypto
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope
from wangge.notices.models import Robot
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User


_ROBOT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")


def robot_key(value: str) -> str:
    """The key itself, given alone or inside the webhook address WeCom shows."""
    value = (value or "").strip()
    if "key=" in value:
        query = urllib.parse.urlparse(value).query
        value = urllib.parse.parse_qs(query).get("key", [""])[0]
    return value


def _key_hash(key: str) -> str:
    return crypto.keyed_hash(f"wecom:{key}")


def _check_key(key: str, errors: dict, *, robot: Robot | None = None) -> str:
    key = robot_key(key)
    if not _ROBOT_KEY.match(key):
        errors["key"] = gettext("Paste the robot's webhook address or its key")
        return key
    taken = Robot.objects.filter(key_hash=_key_hash(key))
    if robot is not None:
        taken = taken.exclude(pk=robot.pk)
    if taken.exists():
        errors["key"] = gettext("This robot is set up already")
    return key


def _check_group_name(name: str | None, errors: dict) -> str:
    """A robot's group name, stripped; a missing or over-long one is an error on ``name``."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        errors["name"] = gettext("Name the group (at most 64 characters)")
    return name


@transaction.atomic
def create_robot(*, actor: User | None, grid: Node, name: str, key: str) -> Robot:
    """Set up a grid group's robot; its key is stored encrypted and never shown again."""
    check_scope(actor, Robot(), "add", path=grid.path)
    errors: dict = {}
    if grid.kind not in GRID_KINDS:
        errors["grid"] = gettext("Choose a grid")
    name = _check_group_name(name, errors)
    key = _check_key(key, errors)
    if errors:
        raise ValidationError(errors)
    robot = Robot.objects.create(
        grid=grid, name=name, key=key, key_hash=_key_hash(key), created_by=actor
    )
    audit.record(
        actor=actor,
        action="notices.robot.created",
        target=robot,
        node=grid,
        after=audit.snapshot(robot),
    )
    return robot


@transaction.atomic
def update_robot(
    *,
    actor: User | None,
    robot: Robot,
    name: str | None = None,
    key: str | None = None,
    is_active: bool | None = None,
) -> Robot:
    """Rename a robot, give it a new key, or switch it off and on."""
    robot = Robot.objects.select_for_update().select_related("grid").get(pk=robot.pk)
    check_scope(actor, robot, "change", path=robot.grid.path)
    before = audit.snapshot(robot)
    errors: dict = {}
    if name is not None:
        robot.name = _check_group_name(name, errors)
    if key is not None:
        robot.key = _check_key(key, errors, robot=robot)
        robot.key_hash = _key_hash(robot.key)
        robot.last_error, robot.last_error_at = "", None
    if errors:
        raise ValidationError(errors)
    if is_active is not None:
        robot.is_active = is_active
    robot.save()
    audit.record(
        actor=actor,
        action="notices.robot.updated",
        target=robot,
        node=robot.grid,
        before=before,
        after=audit.snapshot(robot),
    )
    return robot
