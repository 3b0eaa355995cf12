"""Rows kept only for a while: sign-in attempts and idempotency keys. Audit events stay."""

import datetime

from django.utils import timezone

from wangge.core import ratelimit
from wangge.core.jobs import periodic
from wangge.core.models import IdempotencyKey

KEEP_LOGIN_ATTEMPTS = datetime.timedelta(days=90)
KEEP_IDEMPOTENCY_KEYS = datetime.timedelta(days=30)  # retries come within minutes


@periodic(3600)
def purge(now: datetime.datetime | None = None) -> dict[str, int]:
    from wangge.accounts.models import LoginAttempt

    now = now or timezone.now()
    attempts, _ = LoginAttempt.objects.filter(at__lt=now - KEEP_LOGIN_ATTEMPTS).delete()
    keys, _ = IdempotencyKey.objects.filter(created_at__lt=now - KEEP_IDEMPOTENCY_KEYS).delete()
    hits = ratelimit.purge(now - datetime.timedelta(hours=1))
    return {"login_attempts": attempts, "idempotency_keys": keys, "rate_limit_windows": hits}
