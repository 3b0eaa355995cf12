"""Messages the closed loop sends by itself: the reporter (and whoever follows a case) hears
of its progress by SMS on the changes whose template is switched on; the people a late case
waits on get a reminder once a day.

``case_changed`` is called on the domain event ``case.changed`` (``notices/handlers.py``),
which the case services emit when they write a step, in the same transaction: the outbox row
is written with the change, or neither is.
"""

from __future__ import annotations

import datetime
import logging
import unicodedata

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.cases.choices import FINAL_STATES, Mark, State, TaskState
from wangge.cases.models import Case, Follower
from wangge.cases.public import RESIDENT_STATE
from wangge.core import audit
from wangge.core.words import stored
from wangge.notices import wording
from wangge.notices.choices import Channel, FollowChannel
from wangge.notices.models import Delivery, Follow

logger = logging.getLogger(__name__)

# A change recorded with a time older than this (the demo's year of history, a work order
# imported late) is no news to anyone: no message.
FRESH = datetime.timedelta(hours=1)
REMINDER_EVENT = "case.late"


def _link(name: str, *args) -> str:
    try:
        return wording.absolute(reverse(name, args=args))
    except NoReverseMatch:  # an API-only deployment
        return ""


def _resident_state(state: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(RESIDENT_STATE.get(state, state))


def _reply(event) -> str:
    """The step's reply to the resident as a sentence of the message ("Reply: …."), or
    nothing. Only a public step's reply: the internal note never goes into a message."""
    text = (event.reply or "").strip() if event.public else ""
    while text and unicodedata.category(text[-1]) == "Po":  # the frame ends the sentence
        text = text[:-1].rstrip()
    if not text:
        return ""
    return stored(gettext_noop("Reply: %(text)s. "), text=text)


def case_changed(case, event) -> int:
    """Queue the messages a case's change sends: SMS (or e-mail) to its followers — the
    reporter who left a phone number, residents who follow it — when the template of the
    new state (``case.<state>``) is switched on. How many were queued. The words are the
    template's, the case's number, title and state, and the reply written for the resident
    (``{reply}``); a step's internal note is never among them."""
    if not event.to_state or event.from_state == event.to_state:
        return 0
    if event.at < timezone.now() - FRESH:
        return 0
    rendered = wording.render(
        f"case.{event.to_state}",
        number=case.number,
        title=case.title,
        state=_resident_state(event.to_state),
        tracking_url=_link("case-track", case.tracking_code),
        reply=_reply(event),
    )
    if rendered is None:
        return 0
    subject, text = rendered
    rows = [
        _case_delivery(case, event, recipient, subject=subject, text=text)
        for recipient in _case_followers(case)
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# Cases whose reporter's number was typed by anyone (a public page, an app through Open311):
# that number hears of the case only once confirmed by a code, as a follow on the tracking
# page (nothing but a code ever goes to a number before it is confirmed). Numbers staff took
# down from the resident (a call, a visit, the hotline) are heard as they are.
UNCONFIRMED_CHANNELS = {"web", "open311"}


def _case_followers(case) -> list[dict]:
    """Whoever follows the case, once per address: its followers with a phone (the reporter
    among them, unless the number came unconfirmed from a public channel), then residents
    who asked to follow it here and confirmed their number."""
    seen: set[str] = set()
    found = []
    followers = (
        Follower.objects.filter(case=case)
        .exclude(phone_hash="")
        .exclude(via__channel__in=UNCONFIRMED_CHANNELS)  # came with a merged duplicate
    )
    if case.channel in UNCONFIRMED_CHANNELS:
        followers = followers.none()
    for pk, address in followers.values_list("pk", "phone_hash"):
        if address not in seen:
            seen.add(address)
            found.append({"case_follower_id": pk, "address_hash": address, "channel": "sms"})
    for pk, address, channel in Follow.objects.filter(case=case, is_active=True).values_list(
        "pk", "address_hash", "channel"
    ):
        if address not in seen:
            seen.add(address)
            found.append({"follow_id": pk, "address_hash": address, "channel": channel})
    return found


def _case_delivery(case, event, recipient: dict, *, subject: str, text: str) -> Delivery:
    channel = Channel.EMAIL if recipient.pop("channel") == FollowChannel.EMAIL else Channel.SMS
    return Delivery(
        case=case,
        channel=channel,
        node_id=case.grid_id,
        dedupe_key=f"case-event:{event.pk}:{recipient['address_hash']}",
        subject=subject[:200],
        payload={"text": text},
        next_attempt_at=timezone.now(),
        **recipient,
    )


# --- Reminders of late cases ---------------------------------------------------------------------


def remind_late_cases(*, now: datetime.datetime | None = None) -> int:
    """Once a day per late (red) open case, remind each person it waits on — the assignees
    of its open tasks, else its handler, else its community's staff — by e-mail if they
    have an address, else in the worker's log. Safe to run in every worker at once: a
    reminder's key (case, day, person) is unique. How many were queued."""
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    late = (
        Case.objects.filter(mark=Mark.RED)
        .exclude(state__in=[*FINAL_STATES, State.PARKED])
        .select_related("grid", "handler")
        .order_by("pk")
    )
    queued = 0
    for case in late.iterator(chunk_size=200):
        with transaction.atomic():
            queued += _remind(case, day=day, now=now)
    return queued


def _remind(case, *, day: str, now) -> int:
    users = _waiting_on(case)
    keys = {user.pk: f"late:{case.pk}:{day}:{user.pk}" for user in users}
    done = set(
        Delivery.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True)
    )
    users = [user for user in users if keys[user.pk] not in done]
    if not users:
        return 0
    rendered = wording.render(
        REMINDER_EVENT,
        number=case.number,
        title=case.title,
        state=case.get_state_display(),
        tracking_url=_link("case-track", case.tracking_code),
        case_url=_link("case-console-detail", case.pk),
    )
    if rendered is None:
        return 0
    subject, text = rendered
    Delivery.objects.bulk_create(
        [
            Delivery(
                case=case,
                channel=Channel.EMAIL if user.email else Channel.LOG,
                node_id=case.grid_id,
                user=user,
                address_hash=f"user:{user.pk}",
                dedupe_key=keys[user.pk],
                subject=subject[:200],
                payload={"text": text},
                next_attempt_at=now,
            )
            for user in users
        ],
        ignore_conflicts=True,
    )
    audit.record(
        actor=None,
        action="notices.reminder.queued",
        target=case,
        node=case.grid,
        after={"users": [user.pk for user in users], "day": day},
        reason="late case",
    )
    return len(users)


def _waiting_on(case) -> list:
    """Who the late case waits on."""
    open_tasks = case.tasks.exclude(
        state__in=[TaskState.DONE, TaskState.CANCELLED, TaskState.RETURNED]
    ).select_related("assignee")
    users = {task.assignee for task in open_tasks if task.assignee and task.assignee.is_active}
    if not users and case.handler is not None and case.handler.is_active:
        users = {case.handler}
    if not users:
        community = case.grid.community
        if community is not None:
            users = {
                m.user
                for m in Membership.objects.filter(
                    node=community, role=Role.COMMUNITY_STAFF, is_active=True, user__is_active=True
                ).select_related("user")
            }
    return sorted(users, key=lambda user: user.pk)
