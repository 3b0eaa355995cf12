"""Residents following a case or a grid by SMS or e-mail, confirmed by a code.

A resident who asks to follow a case or a grid is sent a six-digit code, and nothing else
goes to the address until the code is typed on the page (``confirm_follow``): a number
typed by someone else gets one code and no more. Codes are kept as keyed hashes, good for
WANGGE_FOLLOW_CODE_MINUTES and WANGGE_FOLLOW_CODE_TRIES wrong tries; the words of the
message are kept encrypted in the outbox and forgotten soon after (``forget_codes``).
"""

from __future__ import annotations

import datetime
import re
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext, gettext_noop

from wangge.core import audit, crypto
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope
from wangge.core.words import stored
from wangge.notices import wording
from wangge.notices.choices import Channel, DeliveryState, FollowChannel
from wangge.notices.models import Delivery, Follow, FollowCode
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.cases.models import Case


CODE_PURPOSE = "follow-code"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_CODE = re.compile(r"^\d{6}$")


class TooMany(Exception):
    """Too many codes went to this number, this device or this network lately; ``str()``
    says which, and when to try again."""


def _address(phone: str, email: str, errors: dict) -> tuple[str, str, str]:
    """(channel, the clean address, its keyed hash)."""
    from wangge.people import phone as phones

    phone, email = (phone or "").strip(), (email or "").strip().lower()
    if bool(phone) == bool(email):
        errors["phone"] = gettext("Give a phone number or an e-mail address")
        return "", "", ""
    if phone:
        try:
            phone = phones.validate(phone)
        except phones.InvalidPhone as exc:
            errors["phone"] = str(exc)
        return FollowChannel.SMS, phone, crypto.keyed_hash(f"phone:{phone}")
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = gettext("Not an e-mail address")
    return FollowChannel.EMAIL, email, crypto.keyed_hash(f"email:{email}")


def _code_hash(follow_pk: int, code: str) -> str:
    return crypto.keyed_hash(f"follow-code:{follow_pk}:{code}")


def _hashed(kind: str, value: str) -> str:
    value = str(value or "").strip()[:200]
    return crypto.keyed_hash(f"{kind}:{value}") if value else ""


def _check_limits(
    *, address_hash: str, device_hash: str, client_hash: str, now: datetime.datetime
) -> None:
    """Refuse a code beyond the limits per number, per device (a cookie) and per network
    address, each so many an hour and so many a day (counted from the codes sent)."""
    hour, day = now - datetime.timedelta(hours=1), now - datetime.timedelta(days=1)
    checks = [
        (
            "address_hash",
            address_hash,
            settings.WANGGE_FOLLOW_CODES_PER_NUMBER,
            gettext_noop(
                "This number has been sent as many codes as it may for now (%(hour)s an hour, "
                "%(day)s a day). Please try again later."
            ),
        ),
        (
            "device_hash",
            device_hash,
            settings.WANGGE_FOLLOW_CODES_PER_DEVICE,
            gettext_noop(
                "This phone or computer has asked for as many codes as it may for now "
                "(%(hour)s an hour, %(day)s a day). Please try again later."
            ),
        ),
        (
            "client_hash",
            client_hash,
            settings.WANGGE_FOLLOW_CODES_PER_ADDRESS,
            gettext_noop(
                "Too many codes were asked for from this network just now (%(hour)s an hour, "
                "%(day)s a day). Please try again later."
            ),
        ),
    ]
    for field, value, (per_hour, per_day), message in checks:
        if not value:
            continue
        sent = FollowCode.objects.filter(**{field: value}, created_at__gte=day)
        if sent.count() >= per_day or sent.filter(created_at__gte=hour).count() >= per_hour:
            raise TooMany(gettext(message) % {"hour": per_hour, "day": per_day})


@transaction.atomic
def follow(
    *,
    actor: User | None,
    grid: Node | None = None,
    case: Case | None = None,
    phone: str = "",
    email: str = "",
    device: str = "",
    client: str = "",
) -> Follow:
    """A resident asks to follow a case's progress or a grid's notices, by SMS (a mobile
    number) or e-mail (residents from the public pages: ``actor=None``).

    The follow waits, and a confirmation code goes to the address; the follow becomes active
    when the code is typed (``confirm_follow``). Asking again sends a new code (the earlier
    one stops working), within the limits per number, per ``device`` (the browser's cookie)
    and per ``client`` (its network address): beyond them ``TooMany``. The answer is the same
    whether or not the address follows already, so it reveals nothing."""
    if case is not None:
        grid = case.grid
    errors: dict = {}
    if grid is None or grid.kind not in GRID_KINDS:
        errors["grid"] = gettext("Choose a grid")
    channel, address, address_hash = _address(phone, email, errors)
    if channel == FollowChannel.SMS and "phone" not in errors and not _MOBILE.match(address):
        errors["phone"] = gettext("Messages go only to a mobile number (11 digits)")
    if errors or grid is None:
        raise ValidationError(errors)
    check_scope(actor, Follow(), "add", path=grid.path)
    now = timezone.now()
    device_hash, client_hash = _hashed("device", device), _hashed("client", client)
    _check_limits(
        address_hash=address_hash, device_hash=device_hash, client_hash=client_hash, now=now
    )
    waiting = (
        Follow.objects.select_for_update()
        .filter(grid=grid, case=case, address_hash=address_hash, is_active=False)
        .filter(ended_at__isnull=True)
        .first()
    )
    created = waiting is None
    if waiting is None:
        waiting = Follow.objects.create(
            grid=grid,
            case=case,
            channel=channel,
            phone=address if channel == FollowChannel.SMS else "",
            email=address if channel == FollowChannel.EMAIL else "",
            address_hash=address_hash,
            is_active=False,
        )
    waiting.codes.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = settings.WANGGE_FOLLOW_CODE_MINUTES
    sent = FollowCode.objects.create(
        follow=waiting,
        code_hash=_code_hash(waiting.pk, code),
        address_hash=address_hash,
        device_hash=device_hash,
        client_hash=client_hash,
        expires_at=now + datetime.timedelta(minutes=minutes),
    )
    text = stored(
        gettext_noop(
            "[%(site)s] Your confirmation code is %(code)s (good for %(minutes)s minutes). "
            "If you did not ask for messages, ignore this one: no more will come."
        ),
        site=wording.site_name(),
        code=code,
        minutes=minutes,
    )
    Delivery.objects.create(
        channel=Channel.EMAIL if channel == FollowChannel.EMAIL else Channel.SMS,
        node=grid,
        follow=waiting,
        address_hash=address_hash,
        dedupe_key=f"{CODE_PURPOSE}:{sent.pk}",
        subject=stored(gettext_noop("Your confirmation code")),
        payload={"purpose": CODE_PURPOSE, "sealed": crypto.encrypt(text)},
        next_attempt_at=now,
    )
    audit.record(
        actor=actor,
        action="notices.follow.created" if created else "notices.follow.code_sent",
        target=waiting,
        node=grid,
        after=audit.snapshot(waiting)
        if created
        else {"code": sent.pk, "expires_at": sent.expires_at.isoformat()},
    )
    return waiting


def confirm_follow(*, actor: User | None, follow: Follow, code: str) -> Follow:
    """The code typed on the page: the follow becomes active, and the address gets the
    messages from now on. A wrong code counts as a try (kept, though the answer is a
    ``ValidationError`` naming ``code``); an expired code, or one tried too often, no longer
    works: ask for a new one."""
    with transaction.atomic():
        problem, followed = _confirm(actor, follow, re.sub(r"\s", "", str(code or "")))
    if problem:
        raise ValidationError({"code": problem})
    return followed


def _confirm(actor: User | None, follow: Follow, code: str) -> tuple[str, Follow]:
    followed = Follow.objects.select_for_update().select_related("grid").get(pk=follow.pk)
    check_scope(actor, followed, "change", path=followed.grid.path)
    if followed.is_active:
        return "", followed  # typed twice: done already
    if followed.ended_at is not None:
        return gettext("This request has ended: ask for a new code"), followed
    if not _CODE.match(code):
        return gettext("The code is the six digits in the message"), followed
    now = timezone.now()
    sent = followed.codes.filter(used_at__isnull=True).order_by("-created_at", "-pk").first()
    if sent is None or sent.expires_at <= now:
        return gettext("The code has expired: ask for a new one"), followed
    if sent.tries >= settings.WANGGE_FOLLOW_CODE_TRIES:
        return gettext("The code was tried too often: ask for a new one"), followed
    if not constant_time_compare(sent.code_hash, _code_hash(followed.pk, code)):
        sent.tries += 1
        sent.save(update_fields=["tries"])
        left = settings.WANGGE_FOLLOW_CODE_TRIES - sent.tries
        if left <= 0:
            problem = gettext("The code is not right, and it was tried too often: ask anew")
            return problem, followed
        return gettext("The code is not right (%(n)s tries left)") % {"n": left}, followed
    sent.used_at = now
    sent.save(update_fields=["used_at"])
    before = audit.snapshot(followed)
    already = Follow.objects.filter(
        grid=followed.grid_id,
        case=followed.case_id,
        address_hash=followed.address_hash,
        is_active=True,
    ).first()
    if already is not None:  # the address followed already: that follow stays, this one ends
        followed.ended_at = now
        followed.save(update_fields=["ended_at"])
    else:
        followed.is_active = True
        followed.confirmed_at = now
        followed.save(update_fields=["is_active", "confirmed_at"])
    audit.record(
        actor=actor,
        action="notices.follow.confirmed",
        target=followed,
        node=followed.grid,
        before=before,
        after=audit.snapshot(followed),
    )
    return "", already or followed


@transaction.atomic
def unfollow(*, actor: User | None, follow: Follow) -> Follow:
    """Stop following; messages not yet sent to the address are given up."""
    followed = Follow.objects.select_for_update().select_related("grid").get(pk=follow.pk)
    check_scope(actor, followed, "change", path=followed.grid.path)
    if not followed.is_active:
        return followed
    before = audit.snapshot(followed)
    followed.is_active = False
    followed.ended_at = timezone.now()
    followed.save(update_fields=["is_active", "ended_at"])
    Delivery.objects.filter(
        follow=followed, state__in=[DeliveryState.PENDING, DeliveryState.FAILED]
    ).update(state=DeliveryState.DEAD, answer_code="unfollowed")
    audit.record(
        actor=actor,
        action="notices.follow.ended",
        target=followed,
        node=followed.grid,
        before=before,
        after=audit.snapshot(followed),
    )
    return followed


def find_follow(
    *, grid: Node | None = None, case: Case | None = None, phone: str = "", email: str = ""
) -> Follow | None:
    """The active follow of this address on the grid or case, or ``None`` (to stop it)."""
    errors: dict = {}
    _channel, _clean, address_hash = _address(phone, email, errors)
    if errors:
        return None
    if case is not None:
        grid = case.grid
    return Follow.objects.filter(
        grid=grid, case=case, address_hash=address_hash, is_active=True
    ).first()
