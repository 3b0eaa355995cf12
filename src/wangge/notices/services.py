"""Writing notices, robots and follows; reading the public feed and the delivery report.

A notice is written (draft), published — or, if it reaches beyond one community, sent for
approval (审核) and published by its approver — and withdrawn. Publishing writes every
message it becomes into the outbox in the same transaction; workers send them from there.
Each write is keyword-only and atomic, checks the actor's scope and records its audit event.
"""

from __future__ import annotations

import datetime
import re
import secrets
import urllib.parse
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import File
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext, gettext_noop

from wangge.accounts.choices import Role
from wangge.core import audit, crypto, inputs
from wangge.core.errors import ValidationError, not_found
from wangge.core.services import allowed, check_scope, idempotent, replay
from wangge.core.words import stored
from wangge.notices import targets, wecom, wording
from wangge.notices.choices import (
    Channel,
    DeliveryState,
    FollowChannel,
    NoticeState,
    Outcome,
    WeComFormat,
)
from wangge.notices.models import (
    Delivery,
    DeliveryAttempt,
    Follow,
    FollowCode,
    Notice,
    NoticeFile,
    NoticeKind,
    NoticeTemplate,
    Robot,
)
from wangge.people.models import CareTag
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Building, Node

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.cases.models import Case

MAX_TITLE = 100
MAX_BODY = inputs.NOTICE
FILE_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}
_ROBOT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
# Fields a draft may change, besides its targets.
_EDITABLE = {
    "kind",
    "title",
    "body",
    "roles",
    "to_web",
    "to_wecom",
    "to_sms",
    "to_email",
    "wecom_format",
    "mention_all",
    "publish_at",
    "expires_at",
}


class Refused(Exception):
    """The step is not allowed now (the notice's state, or who asks); ``str()`` says why."""


def notice_snapshot(notice: Notice) -> dict:
    extra = {}
    if notice.pk:
        extra = {
            "nodes": sorted(notice.nodes.values_list("pk", flat=True)),
            "buildings": sorted(notice.buildings.values_list("pk", flat=True)),
            "care_tags": sorted(notice.care_tags.values_list("pk", flat=True)),
        }
    return audit.snapshot(notice, extra=extra)


# --- Checking what a notice says -----------------------------------------------------------------


def _check_places(
    actor: User | None,
    nodes: Sequence[Node],
    buildings: Sequence[Building],
    errors: dict,
    action: str = "add",
) -> None:
    """Every target inside the actor's places: a clear word for the one that is not."""
    outside = gettext("“%(place)s” is outside the places you may send notices to")
    for node in nodes:
        if not allowed(actor, Notice, action, path=node.path):
            errors["nodes"] = outside % {"place": node.name}
            break
    for building in buildings:
        if not allowed(actor, Notice, action, path=building.grid.path):
            errors["buildings"] = outside % {"place": str(building)}
            break
    if not nodes and not buildings:
        errors["nodes"] = gettext("Choose the places (or buildings) the notice is for")


def _check_words(data: dict, errors: dict) -> None:
    kind = data.get("kind")
    if kind is None or not kind.is_active:
        errors["kind"] = gettext("Choose a kind of notice in use")
    title = data["title"] = (data.get("title") or "").strip()
    body = data["body"] = (data.get("body") or "").strip()
    if not title:
        errors["title"] = gettext("Give the notice a title")
    elif len(title) > MAX_TITLE:
        errors["title"] = gettext("The title may have at most %(n)s characters") % {"n": MAX_TITLE}
    if not body:
        errors["body"] = gettext("Write the notice")
    elif len(body) > MAX_BODY:
        errors["body"] = gettext("The text may have at most %(n)s characters") % {"n": MAX_BODY}
    # PostgreSQL refuses a NUL in text with an error, not a message (the API sends what it gets).
    for field, value in (("title", title), ("body", body)):
        if "\x00" in value:
            errors[field] = gettext("Null characters are not allowed.")


def _check_delivery(data: dict, errors: dict, now: datetime.datetime) -> None:
    if data.get("wecom_format", WeComFormat.TEXT) not in WeComFormat.values:
        errors["wecom_format"] = gettext("Unknown WeCom format")
    unknown = [role for role in data.get("roles") or [] if role not in Role.values]
    if unknown:
        errors["roles"] = gettext("Unknown role: %(role)s") % {"role": unknown[0]}
    channels = ("to_web", "to_wecom", "to_sms", "to_email")
    if not any(data.get(channel) for channel in channels):
        errors["to_web"] = gettext("Choose at least one way to send the notice")
    if data.get("to_email") and not data.get("roles"):
        errors["roles"] = gettext("Choose the staff roles to e-mail")
    publish_at, expires_at = data.get("publish_at"), data.get("expires_at")
    if expires_at is not None:
        if expires_at <= now:
            errors["expires_at"] = gettext("The notice would have expired already")
        elif publish_at is not None and expires_at <= publish_at:
            errors["expires_at"] = gettext("The notice must expire after it goes out")


def _write_targets(
    notice: Notice,
    *,
    nodes: Iterable[Node],
    buildings: Iterable[Building],
    care_tags: Iterable[CareTag],
) -> None:
    notice.nodes.set(nodes)
    notice.buildings.set(buildings)
    notice.care_tags.set(care_tags)


def _place(nodes: Sequence[Node], buildings: Sequence[Building]) -> Node:
    home = targets.home_node(nodes, buildings)
    if home is None:
        raise ValidationError({"nodes": gettext("The places share no common district")})
    return home


# --- Notices -------------------------------------------------------------------------------------


def create_notice(
    *,
    actor: User | None,
    kind: NoticeKind | None = None,
    title: str = "",
    body: str = "",
    nodes: Iterable[Node] = (),
    buildings: Iterable[Building] = (),
    care_tags: Iterable[CareTag] = (),
    roles: Iterable[str] = (),
    to_web: bool = True,
    to_wecom: bool = True,
    to_sms: bool = False,
    to_email: bool = False,
    wecom_format: str = WeComFormat.TEXT,
    mention_all: bool = False,
    publish_at: datetime.datetime | None = None,
    expires_at: datetime.datetime | None = None,
    template: NoticeTemplate | None = None,
    idempotency_key: str | None = None,
) -> Notice:
    """Write a notice (a draft) for places in the actor's scope; a template gives the kind
    and the words left empty. A retry with the same ``idempotency_key`` returns the first."""
    earlier = replay(
        key=idempotency_key, actor=actor, operation="notices.notice.create", model=Notice
    )
    if earlier is not None:
        return earlier
    if template is not None:
        kind = kind or template.kind
        title = title or template.title
        body = body or template.body
    nodes, buildings, care_tags = list(nodes), list(buildings), list(care_tags)
    data = {
        "kind": kind,
        "title": title,
        "body": body,
        "roles": list(roles),
        "to_web": to_web,
        "to_wecom": to_wecom,
        "to_sms": to_sms,
        "to_email": to_email,
        "wecom_format": wecom_format,
        "mention_all": mention_all,
        "publish_at": publish_at,
        "expires_at": expires_at,
    }
    errors: dict = {}
    _check_words(data, errors)
    _check_delivery(data, errors, timezone.now())
    _check_places(actor, nodes, buildings, errors)
    if errors:
        raise ValidationError(errors)
    home = _place(nodes, buildings)

    def create() -> Notice:
        notice = Notice.objects.create(
            node=home,
            needs_approval=targets.needs_approval(home),
            template=template,
            created_by=actor,
            **data,
        )
        _write_targets(notice, nodes=nodes, buildings=buildings, care_tags=care_tags)
        audit.record(
            actor=actor,
            action="notices.notice.created",
            target=notice,
            node=home,
            after=notice_snapshot(notice),
        )
        return notice

    with transaction.atomic():
        notice, _created = idempotent(
            key=idempotency_key,
            actor=actor,
            operation="notices.notice.create",
            model=Notice,
            create=create,
            replayed=True,
        )
    return notice


def _locked(notice: Notice) -> Notice:
    return (
        Notice.objects.select_for_update(of=("self",))
        .select_related("node", "kind")
        .get(pk=notice.pk)
    )


def _visible(actor: User | None, notice: Notice) -> None:
    """The actor may see the notice (whose places touch theirs), or it is "not found"."""
    if actor is not None and not Notice.objects.restrict(actor).filter(pk=notice.pk).exists():
        raise not_found()


def _may(actor: User | None, notice: Notice, action: str) -> None:
    """The actor may ``action`` the notice in every place it is for."""
    places = [node.path for node in notice.nodes.all()]
    places += [building.grid.path for building in notice.buildings.select_related("grid")]
    for path in places:
        if not allowed(actor, Notice, action, path=path):
            raise Refused(gettext("You may not do this for every place the notice is for"))


@transaction.atomic
def update_notice(
    *,
    actor: User | None,
    notice: Notice,
    nodes: Iterable[Node] | None = None,
    buildings: Iterable[Building] | None = None,
    care_tags: Iterable[CareTag] | None = None,
    **changes: Any,
) -> Notice:
    """Change a draft: its words, kind, channels, times and targets (only fields given)."""
    notice = _locked(notice)
    _visible(actor, notice)
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise TypeError(f"update_notice() cannot change {sorted(unknown)}")
    if notice.state != NoticeState.DRAFT:
        raise Refused(gettext("Only a draft can be changed"))
    before = notice_snapshot(notice)
    data = {field: getattr(notice, field) for field in _EDITABLE} | changes
    nodes = list(notice.nodes.all()) if nodes is None else list(nodes)
    buildings = list(notice.buildings.all()) if buildings is None else list(buildings)
    care_tags = list(notice.care_tags.all()) if care_tags is None else list(care_tags)
    errors: dict = {}
    _check_words(data, errors)
    _check_delivery(data, errors, timezone.now())
    _check_places(actor, nodes, buildings, errors, action="change")
    if errors:
        raise ValidationError(errors)
    home = _place(nodes, buildings)
    for field, value in data.items():
        setattr(notice, field, value)
    notice.node = home
    notice.needs_approval = targets.needs_approval(home)
    notice.save()
    _write_targets(notice, nodes=nodes, buildings=buildings, care_tags=care_tags)
    audit.record(
        actor=actor,
        action="notices.notice.updated",
        target=notice,
        node=home,
        before=before,
        after=notice_snapshot(notice),
    )
    return notice


@transaction.atomic
def publish_notice(
    *, actor: User | None, notice: Notice, now: datetime.datetime | None = None
) -> Notice:
    """Send a draft out: at once (or at its ``publish_at``), its messages into the outbox —
    or, for a street-wide or district-wide notice not yet approved, to its approvers."""
    now = now or timezone.now()
    notice = _locked(notice)
    _visible(actor, notice)
    if notice.state != NoticeState.DRAFT:
        raise Refused(
            gettext("The notice is “%(state)s”: only a draft can be published")
            % {"state": NoticeState(notice.state).label}
        )
    _may(actor, notice, "publish")
    if notice.expires_at is not None and notice.expires_at <= now:
        raise ValidationError({"expires_at": gettext("The notice has expired already")})
    before = notice_snapshot(notice)
    if notice.needs_approval and notice.approved_at is None:
        notice.state = NoticeState.PENDING
        notice.submitted_at = now
        notice.save(update_fields=["state", "submitted_at", "updated_at"])
        audit.record(
            actor=actor,
            action="notices.notice.submitted",
            target=notice,
            node=notice.node,
            before=before,
            after=notice_snapshot(notice),
        )
        return notice
    counts = _release(notice, actor=actor, now=now)
    audit.record(
        actor=actor,
        action="notices.notice.published",
        target=notice,
        node=notice.node,
        before=before,
        after=notice_snapshot(notice),
        reason=_counted(counts),
    )
    return notice


@transaction.atomic
def approve_notice(
    *, actor: User | None, notice: Notice, note: str = "", now: datetime.datetime | None = None
) -> Notice:
    """Approve (审核通过) a notice waiting for it, which publishes it. The approver holds the
    right at the notice's level or above, and is not its author."""
    now = now or timezone.now()
    notice = _locked(notice)
    _visible(actor, notice)
    if notice.state != NoticeState.PENDING:
        raise Refused(gettext("The notice is not waiting for approval"))
    if not allowed(actor, Notice, "approve", path=notice.node.path):
        raise Refused(
            gettext("A notice for all of “%(place)s” is approved at that level or above")
            % {"place": notice.node.name}
        )
    if actor is not None and actor.pk == notice.created_by_id:
        raise Refused(gettext("Someone other than its author approves a notice"))
    if notice.expires_at is not None and notice.expires_at <= now:
        raise ValidationError({"expires_at": gettext("The notice has expired already")})
    note = _review_note(note)
    before = notice_snapshot(notice)
    notice.approved_by, notice.approved_at = actor, now
    notice.review_note = note
    counts = _release(notice, actor=actor, now=now)
    audit.record(
        actor=actor,
        action="notices.notice.approved",
        target=notice,
        node=notice.node,
        before=before,
        after=notice_snapshot(notice),
        reason=notice.review_note or _counted(counts),
    )
    return notice


def _review_note(note: str | None) -> str:
    """A reviewer's (or withdrawer's) note, stripped, within its limit."""
    note = (note or "").strip()
    errors: dict = {}
    inputs.check_lengths(errors, Notice, {"review_note": note}, names={"review_note": "note"})
    inputs.no_nul(errors, {"note": note})
    if errors:
        raise ValidationError(errors)
    return note


@transaction.atomic
def reject_notice(*, actor: User | None, notice: Notice, note: str) -> Notice:
    """Send a notice waiting for approval back to its author as a draft, saying why."""
    notice = _locked(notice)
    _visible(actor, notice)
    if notice.state != NoticeState.PENDING:
        raise Refused(gettext("The notice is not waiting for approval"))
    if not allowed(actor, Notice, "approve", path=notice.node.path):
        raise Refused(
            gettext("A notice for all of “%(place)s” is approved at that level or above")
            % {"place": notice.node.name}
        )
    note = _review_note(note)
    if not note:
        raise ValidationError({"note": gettext("Say what to change")})
    before = notice_snapshot(notice)
    notice.state = NoticeState.DRAFT
    notice.review_note = note
    notice.save(update_fields=["state", "review_note", "updated_at"])
    audit.record(
        actor=actor,
        action="notices.notice.rejected",
        target=notice,
        node=notice.node,
        before=before,
        after=notice_snapshot(notice),
        reason=note,
    )
    return notice


@transaction.atomic
def withdraw_notice(*, actor: User | None, notice: Notice, note: str = "") -> Notice:
    """Take a published notice back: off the grid pages, and its messages not yet sent are
    given up (those sent cannot be called back)."""
    notice = _locked(notice)
    _visible(actor, notice)
    if notice.state != NoticeState.PUBLISHED:
        raise Refused(gettext("Only a published notice can be withdrawn"))
    _may(actor, notice, "publish")
    note = _review_note(note)
    before = notice_snapshot(notice)
    notice.state = NoticeState.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.save(update_fields=["state", "withdrawn_at", "updated_at"])
    stopped = notice.deliveries.filter(
        state__in=[DeliveryState.PENDING, DeliveryState.FAILED]
    ).update(state=DeliveryState.DEAD, answer_code="withdrawn", answer_text="notice withdrawn")
    audit.record(
        actor=actor,
        action="notices.notice.withdrawn",
        target=notice,
        node=notice.node,
        before=before,
        after=notice_snapshot(notice),
        reason=note or f"{stopped} unsent messages stopped",
    )
    return notice


@transaction.atomic
def rewrite_notice(
    *,
    actor: User | None,
    notice: Notice,
    title: str,
    body: str,
    settled: bool = False,
    reason: str = "",
) -> Notice:
    """A notice written anew by the app that wrote it from a record of its own, when the
    record changes: its page and the grid's list show the new words; messages sent already
    stay as they went. ``settled``: what it is about is over, so it leaves the grid pages'
    lists and stays readable at its address. ``reason``: what changed, for the audit log. A
    withdrawn notice is left as it is."""
    notice = _locked(notice)
    check_scope(actor, notice, "view", path=notice.node.path)
    data: dict[str, Any] = {"title": title, "body": body, "kind": notice.kind}
    errors: dict = {}
    _check_words(data, errors)
    errors.pop("kind", None)  # a kind switched off since does not stop the new words
    if errors:
        raise ValidationError(errors)
    title, body = data["title"], data["body"]
    if notice.state == NoticeState.WITHDRAWN or (
        (notice.title, notice.body, notice.settled_at is not None) == (title, body, settled)
    ):
        return notice
    before = notice_snapshot(notice)
    notice.title, notice.body = title, body
    if settled != (notice.settled_at is not None):
        notice.settled_at = timezone.now() if settled else None
    notice.save(update_fields=["title", "body", "settled_at", "updated_at"])
    audit.record(
        actor=actor,
        action="notices.notice.rewritten",
        target=notice,
        node=notice.node,
        before=before,
        after=notice_snapshot(notice),
        reason=reason,
    )
    return notice


def _counted(counts: dict) -> str:
    return ", ".join(f"{channel} {count}" for channel, count in counts.items() if count)


# --- The outbox of a notice ----------------------------------------------------------------------


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


# --- Files ---------------------------------------------------------------------------------------


@transaction.atomic
def add_notice_file(*, actor: User | None, notice: Notice, upload: File | None) -> NoticeFile:
    """An image (checked by its content, re-encoded without its metadata) or an attachment
    (PDF, Word, Excel, text) of a draft."""
    from django.core.files.base import ContentFile

    from wangge.cases import photos

    notice = _locked(notice)
    _visible(actor, notice)
    _may(actor, notice, "change")
    if notice.state != NoticeState.DRAFT:
        raise Refused(gettext("Only a draft can be changed"))
    if upload is None:
        raise ValidationError({"file": gettext("Upload a file")})
    name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension in {".jpg", ".jpeg", ".png", ".webp"}:
        prepared = photos.prepare_photo(upload)
        data, content_type, is_image = prepared.data, prepared.content_type, True
        extension = prepared.extension
    elif extension in ATTACHMENT_TYPES:
        if getattr(upload, "size", 0) and upload.size > FILE_MAX_BYTES:
            raise ValidationError({"file": gettext("The file is too large")})
        upload.seek(0)
        data = upload.read(FILE_MAX_BYTES + 1)
        if not data or len(data) > FILE_MAX_BYTES:
            raise ValidationError({"file": gettext("The file is empty or too large")})
        content_type, is_image = ATTACHMENT_TYPES[extension], False
    else:
        raise ValidationError(
            {"file": gettext("Images (JPEG, PNG, WebP) or PDF, Word, Excel and text files only")}
        )
    stored = NoticeFile(
        notice=notice,
        name=name,
        content_type=content_type,
        size=len(data),
        is_image=is_image,
        uploaded_by=actor,
    )
    token = crypto.keyed_hash(f"notice-file:{notice.pk}:{timezone.now().isoformat()}")[:16]
    stored.file.save(f"{token}{extension}", ContentFile(data), save=False)
    try:
        stored.save()
        audit.record(
            actor=actor,
            action="notices.noticefile.added",
            target=stored,
            node=notice.node,
            after={
                "notice": notice.pk,
                "file": stored.file.name,
                "name": stored.name,
                "content_type": content_type,
                "size": stored.size,
            },
        )
    except BaseException:
        stored.file.delete(save=False)
        raise
    return stored


# --- Robots --------------------------------------------------------------------------------------


def robot_key(value: str) -> str:
    """The key itself, given alone or inside the webhook address WeCom shows."""
    value = (value or "").strip()
    if "key=" in value:
        query = urllib.parse.urlparse(value).query
        value = urllib.parse.parse_qs(query).get("key", [""])[0]
    return value


def _key_hash(key: str) -> str:
    return crypto.keyed_hash(f"wecom:{key}")


def _check_key(key: str, errors: dict, *, robot: Robot | None = None) -> str:
    key = robot_key(key)
    if not _ROBOT_KEY.match(key):
        errors["key"] = gettext("Paste the robot's webhook address or its key")
        return key
    taken = Robot.objects.filter(key_hash=_key_hash(key))
    if robot is not None:
        taken = taken.exclude(pk=robot.pk)
    if taken.exists():
        errors["key"] = gettext("This robot is set up already")
    return key


def _check_group_name(name: str | None, errors: dict) -> str:
    """A robot's group name, stripped; a missing or over-long one is an error on ``name``."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        errors["name"] = gettext("Name the group (at most 64 characters)")
    return name


@transaction.atomic
def create_robot(*, actor: User | None, grid: Node, name: str, key: str) -> Robot:
    """Set up a grid group's robot; its key is stored encrypted and never shown again."""
    check_scope(actor, Robot(), "add", path=grid.path)
    errors: dict = {}
    if grid.kind not in GRID_KINDS:
        errors["grid"] = gettext("Choose a grid")
    name = _check_group_name(name, errors)
    key = _check_key(key, errors)
    if errors:
        raise ValidationError(errors)
    robot = Robot.objects.create(
        grid=grid, name=name, key=key, key_hash=_key_hash(key), created_by=actor
    )
    audit.record(
        actor=actor,
        action="notices.robot.created",
        target=robot,
        node=grid,
        after=audit.snapshot(robot),
    )
    return robot


@transaction.atomic
def update_robot(
    *,
    actor: User | None,
    robot: Robot,
    name: str | None = None,
    key: str | None = None,
    is_active: bool | None = None,
) -> Robot:
    """Rename a robot, give it a new key, or switch it off and on."""
    robot = Robot.objects.select_for_update().select_related("grid").get(pk=robot.pk)
    check_scope(actor, robot, "change", path=robot.grid.path)
    before = audit.snapshot(robot)
    errors: dict = {}
    if name is not None:
        robot.name = _check_group_name(name, errors)
    if key is not None:
        robot.key = _check_key(key, errors, robot=robot)
        robot.key_hash = _key_hash(robot.key)
        robot.last_error, robot.last_error_at = "", None
    if errors:
        raise ValidationError(errors)
    if is_active is not None:
        robot.is_active = is_active
    robot.save()
    audit.record(
        actor=actor,
        action="notices.robot.updated",
        target=robot,
        node=robot.grid,
        before=before,
        after=audit.snapshot(robot),
    )
    return robot


# --- Follows -------------------------------------------------------------------------------------
# A resident who asks to follow a case or a grid is sent a six-digit code, and nothing else
# goes to the address until the code is typed on the page (``confirm_follow``): a number
# typed by someone else gets one code and no more. Codes are kept as keyed hashes, good for
# WANGGE_FOLLOW_CODE_MINUTES and WANGGE_FOLLOW_CODE_TRIES wrong tries; the words of the
# message are kept encrypted in the outbox and forgotten soon after (``forget_codes``).

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


# --- Reading -------------------------------------------------------------------------------------


def notices_for_grid(grid: Node, *, now: datetime.datetime | None = None) -> QuerySet[Notice]:
    """The notices a grid's public page shows: published to the web, out, not expired, for
    the grid or a place above it (or a building in it), not settled; newest first."""
    now = now or timezone.now()
    places = [*grid.ancestor_ids, grid.pk]
    targeted = Notice.nodes.through.objects.filter(node_id__in=places).values("notice_id")
    in_buildings = Notice.buildings.through.objects.filter(building__grid=grid).values("notice_id")
    return (
        Notice.objects.filter(state=NoticeState.PUBLISHED, to_web=True, publish_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(pk__in=targeted) | Q(pk__in=in_buildings))
        .filter(settled_at__isnull=True)
        .select_related("kind")
        .order_by("-publish_at", "-id")
    )


def delivery_report(notice: Notice) -> dict:
    """How a notice's messages fared: counts by state, overall, by channel and by grid, and
    how many were possibly sent twice (a worker died between the provider's answer and its
    record)."""
    states = DeliveryState.values
    rows = (
        Delivery.objects.filter(notice=notice)
        .values("channel", "node_id", "state")
        .annotate(count=Count("id"))
        .order_by()
    )
    total = dict.fromkeys(states, 0)
    by_channel: dict[str, dict[str, int]] = {}
    by_node: dict[int | None, dict[str, int]] = {}
    for row in rows:
        count = row["count"]
        total[row["state"]] += count
        by_channel.setdefault(row["channel"], dict.fromkeys(states, 0))[row["state"]] += count
        by_node.setdefault(row["node_id"], dict.fromkeys(states, 0))[row["state"]] += count
    nodes = Node.objects.in_bulk([pk for pk in by_node if pk is not None])
    grids = [
        {
            "node_id": pk,
            "code": nodes[pk].code if pk in nodes else "",
            "name": nodes[pk].name if pk in nodes else "",
            **counts,
        }
        for pk, counts in sorted(
            by_node.items(), key=lambda item: nodes[item[0]].path if item[0] in nodes else ""
        )
    ]
    repeats = (
        DeliveryAttempt.objects.filter(
            delivery__notice=notice,
            delivery__state=DeliveryState.SENT,
            outcome=Outcome.ABANDONED,
        )
        .values("delivery")
        .distinct()
        .count()
    )
    return {
        "notice_id": notice.pk,
        "total": total,
        "by_channel": [{"channel": channel, **counts} for channel, counts in by_channel.items()],
        "by_grid": grids,
        "possibly_repeated": repeats,
    }
