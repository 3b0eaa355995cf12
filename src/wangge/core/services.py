"""Helpers every app's services share."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from wangge.core import audit
from wangge.core.errors import ValidationError, not_found
from wangge.core.models import Counter, IdempotencyKey, Notification
from wangge.core.scope import get_scope, permission_name

if TYPE_CHECKING:
    from wangge.accounts.models import User

M = TypeVar("M", bound=models.Model)


@dataclass
class BulkResult:
    """What a bulk write did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)


def allowed(
    actor: User | None, model: type[models.Model], action: str, *, path: str | None
) -> bool:
    """Whether ``actor`` may ``action`` objects of ``model`` at the node with ``path``."""
    if actor is None:
        return True
    return get_scope(actor).allows(permission_name(model, action), path)


def check_scope(actor: User | None, obj: models.Model, action: str, *, path: str | None) -> None:
    """Refuse (as "not found") when ``actor`` may not ``action`` the object at ``path``.

    ``actor=None`` is the system (the CLI run by an operator, the demo builder).
    """
    if not allowed(actor, type(obj), action, path=path):
        raise not_found()


@transaction.atomic
def read_notification(*, actor: User | None, notification: Notification) -> Notification:
    """Mark one of ``actor``'s own notifications read. Someone else's is not there for them
    (a 404); one read already stays as it was, with nothing recorded again."""
    if actor is None or notification.user_id != actor.pk:
        raise not_found()
    if notification.read_at is not None:
        return notification
    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at"])
    audit.record(
        actor=actor,
        action="core.notification.read",
        target=notification,
        after={"read_at": notification.read_at},
    )
    return notification


def bump_counter(name: str) -> None:
    """Give the named version a new value (random, so a rolled-back bump is never reused)."""
    value = secrets.randbits(62)
    if not Counter.objects.filter(name=name).update(value=value):
        try:
            with transaction.atomic():
                Counter.objects.create(name=name, value=value)
        except IntegrityError:
            Counter.objects.filter(name=name).update(value=value)


def read_counter(name: str) -> int:
    return Counter.objects.filter(name=name).values_list("value", flat=True).first() or 0


def _check_key(key: str) -> None:
    """A key longer than its column is refused, never cut (two keys cut alike would be one)."""
    from wangge.core import inputs

    errors: dict[str, str] = {}
    inputs.check_length(errors, "Idempotency-Key", key, inputs.limit_of(IdempotencyKey, "key"))
    if errors:
        raise ValidationError(errors)


def replay(*, key: str | None, actor: User | None, operation: str, model: type[M]) -> M | None:
    """The object a create with this idempotency key already made, or ``None``.

    Creates call it before checking their input: a retry gets the first answer even if the
    retry's body was mangled on the way.
    """
    if not key:
        return None
    _check_key(key)
    found = IdempotencyKey.objects.filter(actor=actor, operation=operation, key=key).first()
    return None if found is None else model._base_manager.get(pk=found.target_id)


def idempotent(
    *,
    key: str | None,
    actor: User | None,
    operation: str,
    model: type[M],
    create: Callable[[], M],
    replayed: bool = False,
) -> tuple[M, bool]:
    """Run ``create()`` once per (actor, operation, key); a retry returns the first object.

    Must be called inside the transaction that creates the object, so the key and the object
    land together or not at all. ``replayed``: the caller has already looked the key up with
    ``replay()`` in this transaction (a concurrent retry is still caught by the key's
    uniqueness).
    """
    if not key:
        return create(), True
    _check_key(key)

    def first_answer() -> M | None:
        found = IdempotencyKey.objects.filter(actor=actor, operation=operation, key=key).first()
        return None if found is None else model._base_manager.get(pk=found.target_id)

    existing = None if replayed else first_answer()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            obj = create()
            IdempotencyKey.objects.create(
                key=key,
                actor=actor,
                operation=operation,
                target_type=f"{model._meta.app_label}.{model._meta.model_name}",
                target_id=str(obj.pk),
            )
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its object.
        existing = first_answer()
        if existing is None:
            raise
        return existing, False
    return obj, True
