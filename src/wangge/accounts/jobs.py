"""Sign-in attempts are kept for throttling and the record, then purged (hourly, by every
worker: ``core.jobs.periodic``)."""

import datetime

from django.utils import timezone

from wangge.accounts.models import LoginAttempt
from wangge.core.jobs import periodic

KEEP_LOGIN_ATTEMPTS = datetime.timedelta(days=90)


@periodic(3600)
def purge_login_attempts(now: datetime.datetime | None = None) -> int:
    """Delete sign-in attempts older than ``KEEP_LOGIN_ATTEMPTS``; returns how many."""
    now = now or timezone.now()
    deleted, _ = LoginAttempt.objects.filter(at__lt=now - KEEP_LOGIN_ATTEMPTS).delete()
    return deleted
