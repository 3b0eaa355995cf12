"""A notice's life: written (a draft, checked for its words, channels and places), changed,
published — or, reaching beyond one community, sent for approval (审核) and published by its
approver, or sent back —, withdrawn, and written anew by the app that wrote it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wangge.accounts.choices import Role
from wangge.core import audit, inputs
from wangge.core.errors import ValidationError
from wangge.core.services import allowed, check_scope, idempotent, replay
from wangge.notices import targets
from wangge.notices.choices import DeliveryState, NoticeState, WeComFormat
from wangge.notices.models import Notice, NoticeKind, NoticeTemplate
from wangge.notices.services.common import Refused, _locked, _may, _visible, notice_snapshot
from wangge.notices.services.delivery import _release
from wangge.people.models import CareTag
from wangge.territory.models import Building, Node

if TYPE_CHECKING:
    from wangge.accounts.models import User


MAX_TITLE = 100
MAX_BODY = inputs.NOTICE


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
