"""A small rate limit for public pages, counted in the database so every process shares it."""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from wangge.core.models import RateLimitHit


def _window(per_minutes: int) -> datetime.datetime:
    window = timezone.now().replace(second=0, microsecond=0)
    return window - datetime.timedelta(minutes=window.minute % per_minutes)


def seen(key: str, *, per_minutes: int = 1) -> int:
    """How many were counted for ``key`` in the current window (counting none)."""
    return (
        RateLimitHit.objects.filter(key=key[:100], window=_window(per_minutes))
        .values_list("count", flat=True)
        .first()
        or 0
    )


def hit(key: str, *, limit: int, per_minutes: int = 1) -> bool:
    """Count one request for ``key``; ``False`` when more than ``limit`` came in the window."""
    window = _window(per_minutes)
    quote = connection.ops.quote_name
    table, key_, window_, count_ = (
        quote(name) for name in (RateLimitHit._meta.db_table, "key", "window", "count")
    )
    # One statement, atomic on its own (SQLite 3.35 and PostgreSQL both have RETURNING).
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_}, {window_}, {count_}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({key_}, {window_}) DO UPDATE SET {count_} = {table}.{count_} + 1 "
            f"RETURNING {count_}",
            [key[:100], connection.ops.adapt_datetimefield_value(window)],
        )
        (count,) = cursor.fetchone()
    return count <= limit


def purge(before: datetime.datetime) -> int:
    deleted, _ = RateLimitHit.objects.filter(window__lt=before).delete()
    return deleted
