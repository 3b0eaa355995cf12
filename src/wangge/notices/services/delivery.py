"""The outbox of a notice: publishing writes every message it becomes (each robot's parts in
order, SMS to residents and followers, e-mail to staff) as deliveries in the same
transaction; workers send them from there. And the links those messages carry."""

from __future__ import annotations

import datetime
import urllib.parse
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from wangge.notices import targets, wecom, wording
from wangge.notices.choices import Channel, FollowChannel, NoticeState
from wangge.notices.models import Delivery, Notice
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User


def _release(notice: Notice, *, actor: User | None, now: datetime.datetime) -> dict[str, int]:
    """Publish: the notice's state and, in the same transaction, its outbox."""
    notice.state = NoticeState.PUBLISHED
    notice.publish_at = at = max(notice.publish_at or now, now)
    notice.published_by = actor
    notice.save()
    return _enqueue(notice, at=at)


def public_url(grid: Node) -> str:
    """The grid's public page, where its notices are listed."""
    try:
        path = reverse("case-report", args=[grid.code])
    except NoReverseMatch:  # an API-only deployment
        path = f"/r/{urllib.parse.quote(grid.code)}/"
    return wording.absolute(path)


def notice_url(notice: Notice, grid: Node | None = None) -> str:
    """Where a message about the notice leads: the notice's public page, or (where the
    pages are not mounted) the page of ``grid`` or of the first grid it is for."""
    try:
        return wording.absolute(reverse("notice-public", args=[notice.pk]))
    except NoReverseMatch:
        grid = grid or targets.grids(notice).order_by("path").first()
        return public_url(grid) if grid is not None else ""


def _picture_url(notice: Notice) -> str:
    """The first image of the notice, for a news card (none without the public pages)."""
    image = notice.files.filter(is_image=True).order_by("pk").first()
    if image is None:
        return ""
    try:
        return wording.absolute(reverse("notice-public-file", args=[notice.pk, image.pk]))
    except NoReverseMatch:
        return ""


def _enqueue(notice: Notice, *, at: datetime.datetime) -> dict[str, int]:
    """Every message of a published notice, as deliveries due ``at`` (its ``publish_at``): each
    robot of the grids reached (a long notice in numbered parts, in order), SMS to the
    residents and followers, e-mail to staff. One per robot or address."""
    counts = {channel: 0 for channel in Channel.values}
    if notice.to_wecom:
        picture = _picture_url(notice)
        for robot in targets.robots(notice):
            previous = None
            messages = wecom.messages_for(
                notice, url=notice_url(notice, robot.grid), picurl=picture
            )
            for number, message in enumerate(messages, start=1):
                previous = Delivery.objects.create(
                    notice=notice,
                    channel=Channel.WECOM,
                    node_id=robot.grid_id,
                    robot=robot,
                    dedupe_key=f"notice:{notice.pk}:robot:{robot.pk}:{number}",
                    subject=notice.title,
                    payload=message,
                    part=number,
                    parts=len(messages),
                    after=previous,
                    next_attempt_at=at,
                )
                counts[Channel.WECOM] += 1
    people = targets.residents(notice) if notice.to_sms else []
    followers = targets.followers(notice)
    taken = {recipient.address_hash for recipient in people}
    followers = [f for f in followers if f.address_hash not in taken]
    staff = targets.staff(notice) if notice.to_email else []
    rows = []
    sms_text = _sms_text(notice)
    for recipient in [*people, *followers, *staff]:
        channel = Channel.EMAIL if recipient.channel == FollowChannel.EMAIL else Channel.SMS
        rows.append(
            Delivery(
                notice=notice,
                channel=channel,
                node_id=recipient.node_id,
                person_id=recipient.person_id,
                follow_id=recipient.follow_id,
                user_id=recipient.user_id,
                address_hash=recipient.address_hash,
                dedupe_key=f"notice:{notice.pk}:{channel}:{recipient.address_hash}",
                subject=f"【{notice.kind.name}】{notice.title}"[:200],
                payload={"text": sms_text if channel == Channel.SMS else _email_text(notice)},
                next_attempt_at=at,
            )
        )
        counts[channel] += 1
    Delivery.objects.bulk_create(rows, batch_size=500)
    return counts


def _sms_text(notice: Notice) -> str:
    """The notice as one SMS: the template's words, the text cut to fit
    ``WANGGE_SMS_MAX_CHARS`` with the link kept whole."""
    values = {"kind": notice.kind.name, "title": notice.title, "url": notice_url(notice)}
    rendered = wording.render("notice.sms", body="", **values)
    if rendered is None:
        return ""
    room = settings.WANGGE_SMS_MAX_CHARS - len(rendered[1])
    body = notice.body.replace("\n", " ")
    if len(body) > room:
        body = body[: max(0, room - 1)] + "…"
    rendered = wording.render("notice.sms", body=body, **values)
    return rendered[1] if rendered is not None else ""


def _email_text(notice: Notice) -> str:
    link = notice_url(notice)
    return f"{notice.body}\n\n{link}" if link else notice.body
