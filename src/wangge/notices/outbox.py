"""The outbox: deliveries claimed by one worker at a time, paced per robot, sent, retried.

A worker takes a delivery in one transaction: it leases the row (``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL; on SQLite, whose transactions take the write lock at once, an
``UPDATE … WHERE`` the row is still claimable), checks the robot's pace under a lock on the
robot's row, and writes the attempt — all before the message leaves. The answer is
recorded with the delivery's new state in a second transaction.

So a worker that dies mid-send leaves the row leased and its attempt open; when the lease
runs out another worker takes the row, marks that attempt abandoned and sends again. Only a
message the provider took just before the death can go twice, and its open attempt says so.

A robot may send ``WANGGE_WECOM_PER_WINDOW`` messages in ``WANGGE_WECOM_WINDOW_SECONDS``
(WeCom: 20 a minute). Each attempt holds a place from its start until a window after its
answer (or after the timeout, if it has none), so no window of arrivals at WeCom holds more,
however many workers send. A delivery that finds no place waits for the first one to free.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from wangge.core import crypto
from wangge.notices import mail, sms, wecom
from wangge.notices.choices import Channel, DeliveryState, Outcome
from wangge.notices.models import Delivery, DeliveryAttempt, Robot
from wangge.notices.transport import Answer

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime.datetime]
Transport = Callable[[Delivery], Answer]
OPEN = [DeliveryState.PENDING, DeliveryState.FAILED]
FINISHED = [DeliveryState.SENT, DeliveryState.LOGGED, DeliveryState.DEAD]
RATE_LIMIT_TRIES = 5  # a delivery waits out a rate limit this many times its allowed failures


def _seconds(name: str) -> datetime.timedelta:
    return datetime.timedelta(seconds=float(getattr(settings, name)))


def lease() -> datetime.timedelta:
    """How long a claimed row is a worker's: never less than twice the send timeout, so a
    live worker's row is not taken from it while it waits for an answer."""
    least = datetime.timedelta(seconds=2 * timeout() + 1)
    return max(_seconds("WANGGE_DELIVERY_LEASE_SECONDS"), least)


def timeout() -> float:
    return float(settings.WANGGE_DELIVERY_TIMEOUT_SECONDS)


def window() -> datetime.timedelta:
    return _seconds("WANGGE_WECOM_WINDOW_SECONDS")


def backoff(failures: int) -> datetime.timedelta:
    """Exponential: the base after the first failure, doubling, at most an hour."""
    base = float(settings.WANGGE_DELIVERY_RETRY_SECONDS)
    return datetime.timedelta(seconds=min(3600.0, base * 2 ** max(0, failures - 1)))


def _skip_locked() -> bool:
    return connection.features.has_select_for_update_skip_locked


def _claimable(now) -> Q:
    due = Q(state__in=OPEN, next_attempt_at__lte=now)
    orphaned = Q(state=DeliveryState.SENDING, lease_until__lt=now)
    in_order = Q(after__isnull=True) | Q(after__state__in=FINISHED)
    return (due | orphaned) & in_order


@dataclass
class Claim:
    delivery: Delivery
    attempt: DeliveryAttempt
    owner: str


# --- Claiming ------------------------------------------------------------------------------------


def claim(*, owner: str, clock: Clock = timezone.now, tries: int = 20) -> Claim | None:
    """Lease the next delivery that is due and may go now, with its attempt written; or
    ``None``. Deliveries whose robot has no place left are put off meanwhile."""
    for _ in range(tries):
        with transaction.atomic():
            taken = _claim_one(owner, clock)
        if taken is None:
            return None
        if isinstance(taken, Claim):
            return taken
    return None


def _claim_one(owner: str, clock: Clock):
    """One delivery: a ``Claim``; ``True`` if it was put off or given up; ``None`` if none
    is due."""
    now = clock()
    due = Delivery.objects.filter(_claimable(now)).order_by("next_attempt_at", "id")
    if _skip_locked():
        due = due.select_for_update(skip_locked=True, of=("self",))
    delivery = due.first()
    if delivery is None:
        return None
    if delivery.state == DeliveryState.SENDING:
        _abandon(delivery, now)
    if delivery.failures >= settings.WANGGE_DELIVERY_MAX_ATTEMPTS:
        _give_up(delivery, "too many failures")
        return True
    if delivery.robot_id is not None:
        # The robot's lock serialises its pace across workers; the time is read after it.
        Robot.objects.select_for_update().filter(pk=delivery.robot_id).first()
        now = clock()
        free_at = _robot_free_at(delivery.robot_id, now)
        if free_at is not None:
            _put_off_robot(delivery.robot_id, free_at)
            return True
    took = Delivery.objects.filter(_claimable(now), pk=delivery.pk).update(
        state=DeliveryState.SENDING,
        lease_owner=owner,
        lease_until=now + lease(),
        attempts=F("attempts") + 1,
    )
    if not took:  # another worker was first (SQLite: the row changed since it was read)
        return True
    delivery.refresh_from_db()
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery,
        robot_id=delivery.robot_id,
        number=delivery.attempts,
        worker=owner,
        started_at=now,
    )
    return Claim(delivery=delivery, attempt=attempt, owner=owner)


def _abandon(delivery: Delivery, now) -> None:
    """The worker that held the lease died: its open attempt is marked, and counts as a
    failure (a message that kills every worker must end up given up, not loop forever)."""
    DeliveryAttempt.objects.filter(delivery=delivery, finished_at__isnull=True).exclude(
        outcome=Outcome.ABANDONED
    ).update(outcome=Outcome.ABANDONED)
    delivery.failures += 1
    delivery.state = DeliveryState.FAILED
    delivery.next_attempt_at = now
    delivery.lease_owner, delivery.lease_until = "", None
    delivery.save(
        update_fields=["failures", "state", "next_attempt_at", "lease_owner", "lease_until"]
    )
    logger.warning("delivery %s: its worker stopped mid-send; sending again", delivery.pk)


def _give_up(delivery: Delivery, why: str) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.DEAD, lease_owner="", lease_until=None, answer_text=why
    )


def _robot_free_at(robot_id: int, now) -> datetime.datetime | None:
    """``None`` if the robot may send now; else when its first place frees."""
    per_window = int(settings.WANGGE_WECOM_PER_WINDOW)
    span, limit = window(), datetime.timedelta(seconds=timeout())
    recent = DeliveryAttempt.objects.filter(
        robot_id=robot_id, started_at__gt=now - span - max(lease(), limit)
    ).values_list("started_at", "finished_at")
    held = sorted(
        until
        for until in ((finished or started + limit) + span for started, finished in recent)
        if until > now
    )
    if len(held) < per_window:
        return None
    return held[len(held) - per_window]


def _put_off_robot(robot_id: int, until) -> None:
    """Every waiting delivery of the robot waits until ``until`` (rows another worker holds
    are skipped, never waited for)."""
    waiting = Delivery.objects.filter(robot_id=robot_id, state__in=OPEN, next_attempt_at__lt=until)
    if _skip_locked():
        ids = list(
            waiting.select_for_update(skip_locked=True).order_by().values_list("pk", flat=True)
        )
        waiting = Delivery.objects.filter(pk__in=ids)
    waiting.update(next_attempt_at=until)


# --- Sending -------------------------------------------------------------------------------------


def send(
    claimed: Claim, *, clock: Clock = timezone.now, transport: Transport | None = None
) -> Answer:
    """Send a claimed delivery (by its channel, or by ``transport``: the demo's, which needs
    no network) and record the answer."""
    delivery = claimed.delivery
    try:
        answer = (transport or _send)(delivery)
    except Exception as error:  # bad data or a bug: tried again, then given up
        logger.exception("delivery %s could not be sent", delivery.pk)
        answer = Answer(Outcome.RETRY, code=error.__class__.__name__, text="error while sending")
    record(claimed, answer, now=clock())
    return answer


def _send(delivery: Delivery) -> Answer:
    if delivery.channel == Channel.WECOM:
        robot = Robot.objects.filter(pk=delivery.robot_id, is_active=True).first()
        if robot is None:
            return Answer(Outcome.DEAD, code="no robot", text="the robot was removed or stopped")
        return wecom.send(robot.key, delivery.payload, timeout=timeout())
    if delivery.channel == Channel.SMS:
        phone = _phone(delivery)
        if not phone:
            return Answer(Outcome.DEAD, code="no phone", text="no phone number any more")
        return sms.provider().send(
            phone=phone,
            text=text_of(delivery),
            client_msg_id=client_msg_id(delivery.pk),
            timeout=timeout(),
        )
    if delivery.channel == Channel.EMAIL:
        address = _email(delivery)
        if not address:
            return Answer(Outcome.DEAD, code="no address", text="no e-mail address any more")
        return mail.send(
            address=address,
            subject=delivery.subject,
            text=text_of(delivery),
            delivery_id=delivery.pk,
            timeout=timeout(),
        )
    logger.info(
        "message %s for user %s (log only): %s", delivery.pk, delivery.user_id, delivery.subject
    )
    return Answer(Outcome.LOGGED, code="log", text="log only")


def client_msg_id(delivery_id: int) -> str:
    return f"wangge-{delivery_id}"


def text_of(delivery: Delivery) -> str:
    """The words of an SMS or e-mail: as written, or (a confirmation code) decrypted now;
    once its code has expired, nothing (``jobs.forget_codes`` wipes it)."""
    sealed = delivery.payload.get("sealed")
    if sealed:
        return crypto.decrypt(sealed)
    return delivery.payload.get("text", "")


def _is_code(delivery: Delivery) -> bool:
    return delivery.payload.get("purpose") == "follow-code"


def _follow_address(delivery: Delivery, field: str) -> str:
    """A follow's address: while it is active, or (its confirmation code, the one message a
    follow waiting for confirmation gets) while it waits."""
    follow = delivery.follow
    if follow.is_active or (_is_code(delivery) and follow.ended_at is None):
        return getattr(follow, field)
    return ""


def _phone(delivery: Delivery) -> str:
    """The number, decrypted now, from where it is kept (never copied into the outbox)."""
    if delivery.person_id:
        from wangge.people.models import Person

        return Person._base_manager.filter(pk=delivery.person_id).first().phone
    if delivery.follow_id:
        return _follow_address(delivery, "phone")
    if delivery.case_follower_id:
        return delivery.case_follower.phone
    return ""


def _email(delivery: Delivery) -> str:
    if delivery.follow_id:
        return _follow_address(delivery, "email")
    if delivery.user_id:
        user = delivery.user
        return user.email if user.is_active else ""
    return ""


def record(claimed: Claim, answer: Answer, *, now) -> None:
    """The attempt's answer and the delivery's new state, together."""
    delivery, attempt = claimed.delivery, claimed.attempt
    fields = {
        "answer_code": answer.code,
        "answer_text": answer.text[:500],
        "lease_owner": "",
        "lease_until": None,
    }
    if answer.outcome == Outcome.SENT:
        fields.update(state=DeliveryState.SENT, sent_at=now)
    elif answer.outcome == Outcome.LOGGED:  # written in the log: nobody received it
        fields.update(state=DeliveryState.LOGGED)
    elif answer.outcome == Outcome.RATE_LIMITED:
        if delivery.attempts >= settings.WANGGE_DELIVERY_MAX_ATTEMPTS * RATE_LIMIT_TRIES:
            fields.update(state=DeliveryState.DEAD)
        else:
            wait = datetime.timedelta(seconds=answer.wait) if answer.wait else window()
            fields.update(state=DeliveryState.PENDING, next_attempt_at=now + wait)
    elif answer.outcome == Outcome.RETRY:
        failures = delivery.failures + 1
        fields["failures"] = failures
        if failures >= settings.WANGGE_DELIVERY_MAX_ATTEMPTS:
            fields.update(state=DeliveryState.DEAD)
        else:
            fields.update(state=DeliveryState.FAILED, next_attempt_at=now + backoff(failures))
    else:
        fields.update(state=DeliveryState.DEAD)
    with transaction.atomic():
        answered = DeliveryAttempt.objects.filter(pk=attempt.pk)
        fields_of_attempt = {
            "finished_at": now,
            "http_status": answer.http_status,
            "code": answer.code,
            "text": answer.text[:500],
        }
        # An attempt another worker took over (its lease ran out) stays marked abandoned:
        # the answer came, but too late to stop the message going again.
        answered.exclude(outcome=Outcome.ABANDONED).update(
            outcome=answer.outcome, **fields_of_attempt
        )
        answered.filter(outcome=Outcome.ABANDONED).update(**fields_of_attempt)
        mine = Delivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, lease_owner=claimed.owner
        )
        if not mine.update(**fields):
            _lost_lease(delivery, answer, fields)
        if answer.outcome == Outcome.RATE_LIMITED and delivery.robot_id:
            _put_off_robot(delivery.robot_id, fields.get("next_attempt_at", now + window()))
        if answer.outcome == Outcome.DEAD and delivery.robot_id:
            Robot.objects.filter(pk=delivery.robot_id).update(
                last_error=f"{answer.code} {answer.text}"[:200], last_error_at=now
            )


def _lost_lease(delivery: Delivery, answer: Answer, fields: dict) -> None:
    """The lease ran out while this worker waited for the answer (another worker may be
    sending the row again): a message the provider took is still marked sent."""
    logger.warning("delivery %s: the lease ran out before the answer came", delivery.pk)
    if answer.outcome == Outcome.SENT:
        Delivery.objects.filter(pk=delivery.pk).exclude(state=DeliveryState.SENT).update(
            state=DeliveryState.SENT, sent_at=fields["sent_at"]
        )
    elif answer.outcome == Outcome.LOGGED:
        Delivery.objects.filter(pk=delivery.pk).exclude(
            state__in=[DeliveryState.SENT, DeliveryState.LOGGED]
        ).update(state=DeliveryState.LOGGED)


def drain(
    *,
    owner: str,
    clock: Clock = timezone.now,
    limit: int = 20,
    transport: Transport | None = None,
) -> int:
    """Send what is due, up to ``limit`` deliveries; how many were sent (the worker calls it
    again at once while there is more, and sleeps a moment when there is none)."""
    count = 0
    while count < limit:
        claimed = claim(owner=owner, clock=clock)
        if claimed is None:
            break
        send(claimed, clock=clock, transport=transport)
        count += 1
    return count
