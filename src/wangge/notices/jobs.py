import datetime

from django.conf import settings
from django.utils import timezone

from wangge.core.jobs import drainer, periodic
from wangge.notices import loop, outbox
from wangge.notices.choices import DeliveryState
from wangge.notices.models import Delivery, Follow, FollowCode
from wangge.notices.services import CODE_PURPOSE


@drainer
def send_deliveries(owner: str) -> int:
    """Continuously, beside the jobs: the outbox's deliveries that are due."""
    return outbox.drain(owner=owner)


@periodic(15 * 60)
def remind_late_cases():
    """Every quarter of an hour: the day's reminders of late cases not yet queued."""
    return loop.remind_late_cases()


@periodic(5 * 60)
def forget_codes_now():
    """Every five minutes: the words of expired confirmation codes wiped, old codes and
    follows never confirmed deleted."""
    return forget_codes()


def forget_codes(*, now: datetime.datetime | None = None) -> int:
    """Housekeeping: the words of code messages are wiped once their code has expired (a
    message not sent by then is given up), codes past the day the limits look back over
    are deleted, and follows never confirmed are deleted after two days. How many rows
    changed."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(minutes=settings.WANGGE_FOLLOW_CODE_MINUTES + 5)
    codes = Delivery.objects.filter(
        dedupe_key__startswith=f"{CODE_PURPOSE}:", created_at__lt=stale, payload__has_key="sealed"
    )
    changed = codes.filter(state__in=[DeliveryState.PENDING, DeliveryState.FAILED]).update(
        state=DeliveryState.DEAD, answer_code="expired", answer_text="the code expired unsent"
    )
    changed += codes.update(payload={"purpose": CODE_PURPOSE})
    old = now - datetime.timedelta(days=2)
    changed += FollowCode.objects.filter(created_at__lt=old).delete()[0]
    changed += Follow.objects.filter(
        is_active=False, ended_at__isnull=True, confirmed_at__isnull=True, created_at__lt=old
    ).delete()[0]
    return changed
