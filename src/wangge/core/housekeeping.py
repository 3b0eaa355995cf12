"""Rows kept only for a while: idempotency keys and rate-limit counts (accounts purges its
sign-in attempts itself: ``accounts.jobs``). Audit events stay."""

import datetime

from django.utils import timezone

from wangge.core import ratelimit
from wangge.core.jobs import periodic
from wangge.core.models import IdempotencyKey

KEEP_IDEMPOTENCY_KEYS = datetime.timedelta(days=30)  # retries come within minutes


@periodic(3600)
def purge(now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    keys, _ = IdempotencyKey.objects.filter(created_at__lt=now - KEEP_IDEMPOTENCY_KEYS).delete()
    hits = ratelimit.purge(now - datetime.timedelta(hours=1))
    return {"idempotency_keys": keys, "rate_limit_windows": hits}
