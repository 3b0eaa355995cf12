"""Audit events, written by services inside their transaction (never by signals)."""

from __future__ import annotations

import datetime
import decimal
import functools
import getpass
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import models

from wangge.core.context import current_request_id
from wangge.core.fields import EncryptedCharField
from wangge.core.models import AuditEvent

if TYPE_CHECKING:
    from wangge.accounts.models import User

_SKIPPED = {"created_at", "updated_at"}


def target_type(obj_or_model: models.Model | type[models.Model]) -> str:
    meta = obj_or_model._meta
    return f"{meta.app_label}.{meta.model_name}"


_PLAIN_TYPES = {str, int, float, bool, type(None)}


def _plain(value: object) -> object:
    if value.__class__ in _PLAIN_TYPES:
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


@functools.cache
def _snapshot_plan(model: type[models.Model]) -> list[tuple[str, Callable[[Any], str] | None]]:
    """Which fields a snapshot holds, each with how to show it (worked out once per model)."""
    plan = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in _SKIPPED or field.name.endswith("_hash"):
            continue
        plan.append((field.attname, field.mask if isinstance(field, EncryptedCharField) else None))
    return plan


def snapshot_of(model: type[models.Model], values: dict) -> dict:
    """A snapshot of an object not built as one: its field values by attribute name."""
    return {
        attname: mask(values.get(attname)) if mask is not None else _plain(values.get(attname))
        for attname, mask in _snapshot_plan(model)
    }


def snapshot(obj: models.Model, *, extra: dict | None = None) -> dict:
    """A JSON-ready copy of the object's own fields; encrypted ones masked, hashes left out."""
    data = {}
    for attname, mask in _snapshot_plan(type(obj)):
        value = getattr(obj, attname)
        data[attname] = mask(value) if mask is not None else _plain(value)
    if extra:
        data.update({key: _plain(value) for key, value in extra.items()})
    return data


def changes(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the keys that changed (all of them for a create or a delete)."""
    if before is None or after is None:
        return before, after
    keys = [key for key in after.keys() | before.keys() if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


@functools.cache
def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


class Pending(NamedTuple):
    """An audit event not yet saved (the columns of ``AuditEvent`` but its time and id)."""

    actor_id: int | None
    actor_name: str
    node_id: int | None
    action: str
    target_type: str
    target_id: str
    target_repr: str
    before: dict | None
    after: dict | None
    request_id: str
    reason: str


def event(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    target_ref: tuple[str, object, str] | None = None,
    node: models.Model | None = None,
    node_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    target_repr: str | None = None,
) -> Pending:
    """Build (not save) an audit event; ``record`` saves one, ``record_many`` many.

    The target is an object, or for bulk writes that build none, ``target_ref``:
    (target type, id, text).
    """
    before, after = changes(before, after)
    if target_ref is not None:
        kind, pk, text = target_ref
    elif target is not None:
        kind, pk, text = target_type(target), target.pk, str(target)
    else:
        kind, pk, text = "", None, ""
    if actor is None:
        actor_id, actor_name = None, f"system ({_os_user()})"
    else:
        actor_id, actor_name = actor.pk, actor.label[:150]
    return Pending(
        actor_id=actor_id,
        actor_name=actor_name,
        node_id=node.pk if node is not None else node_id,
        action=action,
        target_type=kind,
        target_id="" if pk is None else str(pk),
        target_repr=(target_repr if target_repr is not None else text)[:200],
        before=before,
        after=after,
        request_id=current_request_id(),
        reason=reason,
    )


def record(**kwargs: Any) -> AuditEvent:
    """Save one audit event now; takes the arguments of ``event``."""
    audit_event = AuditEvent(**event(**kwargs)._asdict())
    audit_event.save()
    return audit_event


_BULK_FIELDS = ["at", "actor", *Pending._fields[1:]]


def record_many(events: Iterable[Pending]) -> None:
    """Save many events at once (the bulk services' path; see ``core.bulk``)."""
    from django.utils import timezone

    from wangge.core import bulk

    now = timezone.now()
    bulk.insert(AuditEvent, _BULK_FIELDS, ((now, *pending) for pending in events))
