"""A small rate limit for public pages, counted in the database so every process shares it."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wangge.core.models import RateLimitHit


def hit(key: str, *, limit: int, per_minutes: int = 1) -> bool:
    """Count one request for ``key``; ``False`` when more than ``limit`` came in the window."""
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    window -= datetime.timedelta(minutes=window.minute % per_minutes)
    key = key[:100]
    updated = RateLimitHit.objects.filter(key=key, window=window).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateLimitHit.objects.create(key=key, window=window, count=1)
        except IntegrityError:
            RateLimitHit.objects.filter(key=key, window=window).update(count=F("count") + 1)
    count = RateLimitHit.objects.filter(key=key, window=window).values_list("count", flat=True)
    return count.first() <= limit


def purge(before: datetime.datetime) -> int:
    deleted, _ = RateLimitHit.objects.filter(window__lt=before).delete()
    return deleted
