"""Lost and found (失物招领): a found item is recorded as a case solved on the spot, its notice
goes out, the owner claims it, is checked, and is handed the item; the case closes.

Every step is a keyword-only function in one transaction, with its audit event and a step on
the case's timeline (public where a resident may see it, never with anyone's phone number).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from wangge.accounts.choices import Role
from wangge.accounts.models import User
from wangge.cases import photos as pictures
from wangge.cases import services as cases
from wangge.cases.choices import Channel, Kind, State
from wangge.cases.machine import Refused
from wangge.cases.models import Case, CaseEvent, Category, Photo
from wangge.cases.photos import PreparedPhoto
from wangge.cases.services import timeline
from wangge.core import audit, inputs
from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope
from wangge.core.services import check_scope, idempotent
from wangge.core.words import stored
from wangge.lostfound.models import Claim, FoundItem
from wangge.lostfound.public import item_photos, notice_body, notice_title
from wangge.notices import services as notices
from wangge.notices.models import Notice, NoticeKind
from wangge.people import phone as phones
from wangge.territory.models import Node

FOUND_ITEM_CATEGORY = "SW01"  # 拾到物品, in the current category tree
NOTICE_KIND = "lost_found"  # 失物招领, in the notice kinds
_PATROL_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER}
_FUTURE_SLACK = datetime.timedelta(minutes=10)  # a phone's clock may run a little fast
PHOTOS_AT_MOST = 4  # photos of one item (on the notice and the poster)
# What staff may change on an item once recorded.
_CHANGEABLE = {"what": 200, "where": 200, "kept_at": 200}

ItemState = FoundItem.ItemState
ClaimState = Claim.ClaimState


def _category() -> Category:
    category = (
        Category.objects.filter(tree__is_current=True, code=FOUND_ITEM_CATEGORY, is_active=True)
        .select_related("form")
        .first()
    )
    if category is None:
        raise ValidationError(
            {
                "category": gettext("The current category tree has no found items (%(code)s)")
                % {"code": FOUND_ITEM_CATEGORY}
            }
        )
    return category


def _channel(actor: User | None, grid: Node | None) -> str:
    """Found on a round by the grid's own people: a patrol; otherwise brought in. (Given
    a point instead of a grid: a patrol if the actor works any grid.)"""
    if actor is None:
        return Channel.WALK_IN
    scope = get_scope(actor)
    roles = scope.roles_at(grid.path) if grid is not None else {g.role for g in scope.grants}
    return Channel.PATROL if roles & _PATROL_ROLES else Channel.WALK_IN


def _text(
    value: object, field: str, limit: int, errors: dict[str, str], *, required: str = ""
) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = required
    else:
        inputs.check_length(errors, field, text, limit)
        inputs.no_nul(errors, {field: text})
    return text


def _phone(value: object, field: str, errors: dict[str, str], *, required: str = "") -> str:
    text = str(value or "").strip()
    if not text:
        if required:
            errors[field] = required
        return ""
    try:
        valid: str = phones.validate(text)
    except phones.InvalidPhone as exc:
        errors[field] = str(exc)
        return text
    return valid


def _step(
    item: FoundItem,
    action: str,
    *,
    actor: User | None,
    at: datetime.datetime,
    note: str = "",
    data: dict[str, object] | None = None,
    audited: dict[str, Any],
) -> CaseEvent | None:
    """A step on the found item's case timeline (the case's state does not move), written with
    the audit event of the change it records (``audited``: a claim's) through the cases'
    one writer of steps; the resident sees it in plain words where ``public_text.shown``
    says, its note never. An item without a case has the audit event alone."""
    case = item.case
    if case is None:
        audit.record(actor=actor, node=item.grid, **audited)
        return None
    return timeline.record_step(
        case,
        action,
        actor=actor,
        at=at,
        before=None,
        note=note,
        data={"found_item": item.pk, **(data or {})},
        tell_followers=False,
        audit_as=audited,
    )


def _not_held(item: FoundItem) -> str:
    """Why nobody can claim the item any more."""
    if item.state == ItemState.HANDED_OVER:
        handed = item.claims.filter(state=ClaimState.HANDED_OVER).first()
        if handed and handed.handed_over_at:
            return gettext(
                "The item was handed to its owner on %(when)s: it can no longer be claimed"
            ) % {"when": _day_time(timezone.localtime(handed.handed_over_at))}
        return gettext("The item was handed to its owner: it can no longer be claimed")
    return gettext("The item is “%(state)s”: it can no longer be claimed") % {
        "state": ItemState(item.state).label
    }


def _claim_is(claim: Claim) -> str:
    return gettext("The claim is “%(state)s” already") % {"state": ClaimState(claim.state).label}


def _day_time(local: datetime.datetime) -> str:
    return gettext("%(month)s/%(day)s %(time)s") % {
        "month": local.month,
        "day": local.day,
        "time": f"{local:%H:%M}",
    }


# --- Recording -----------------------------------------------------------------------------------


def record_found_item(
    *,
    actor: User | None,
    what: str,
    where: str,
    found_at: datetime.datetime,
    grid: Node | None = None,
    lng: float | None = None,
    lat: float | None = None,
    finder_name: str = "",
    finder_phone: str = "",
    kept_at: str = "",
    contact_phone: str = "",
    photo: File[bytes] | None = None,
    photos: Iterable[File[bytes]] = (),
    idempotency_key: str | None = None,
) -> FoundItem:
    """Record a found item and open its case (拾到物品 ``SW01``, solved on the spot).

    The case comes in through ``services.report`` (a patrol when the grid's worker or leader
    records it, a walk-in otherwise), with the item and the place as its answers. ``kept_at``
    is where the owner can claim it, ``contact_phone`` the office's number for the notice
    (the finder's phone is kept encrypted and never shown). ``photo`` and ``photos`` are
    uploads (at most ``PHOTOS_AT_MOST``), checked and stored without their metadata as the
    case's public photos: the notice, its page and its poster show them. A retry with the
    same ``idempotency_key`` returns the first item.
    """
    if grid is not None:
        check_scope(actor, FoundItem(), "add", path=grid.path)
    errors: dict[str, str] = {}
    what = _text(what, "what", 200, errors, required=gettext("Say what was found"))
    where = _text(where, "where", 200, errors, required=gettext("Say where it was found"))
    finder_name = _text(finder_name, "finder_name", 64, errors)
    finder_phone = _phone(finder_phone, "finder_phone", errors)
    contact_phone = _phone(contact_phone, "contact_phone", errors)
    place = _text(kept_at, "kept_at", 200, errors)
    if found_at is None:
        errors["found_at"] = gettext("Say when it was found")
    else:
        if timezone.is_naive(found_at):
            found_at = timezone.make_aware(found_at)
        if found_at > timezone.now() + _FUTURE_SLACK:
            errors["found_at"] = gettext("It cannot have been found later than now")
    if grid is not None and not grid.is_grid:
        errors["grid"] = gettext("Choose a grid")
    uploads = [*([photo] if photo is not None else []), *photos]
    _check_photo_count(uploads, 0, errors)
    if errors:
        raise ValidationError(errors)
    prepared = _prepared(uploads)
    category = _category()
    added = []

    def create() -> FoundItem:
        case = cases.report(
            actor=actor,
            channel=_channel(actor, grid),
            category=category,
            kind=Kind.INSTANT,
            title=stored(gettext_noop("Found: %(what)s"), what=what)[:100],
            description=(
                stored(
                    gettext_noop("%(what)s found at %(where)s, now kept at %(place)s"),
                    what=what,
                    where=where,
                    place=place,
                )
                if place
                else stored(gettext_noop("%(what)s found at %(where)s"), what=what, where=where)
            ),
            grid=grid,
            lng=lng,
            lat=lat,
            address=where,
            reporter_name=finder_name,
            reporter_phone=finder_phone,
            attributes={"item": what, "found_where": where},
        )
        check_scope(actor, FoundItem(), "add", path=case.grid.path)
        item = FoundItem.objects.create(
            grid=case.grid,
            case=case,
            what=what,
            where=where,
            found_at=found_at,
            finder_name=finder_name,
            finder_phone=finder_phone,
            kept_at=place,
            contact_phone=contact_phone,
            recorded_by=actor,
        )
        audit.record(
            actor=actor,
            action="lostfound.founditem.recorded",
            target=item,
            node=case.grid,
            after=audit.snapshot(item),
        )
        for upload in prepared:
            added.append(pictures.add_photo(actor=actor, case=case, upload=upload, public=True))
        return item

    item: FoundItem
    try:
        with transaction.atomic():
            item, created = idempotent(
                key=idempotency_key,
                actor=actor,
                operation="lostfound.founditem.record",
                model=FoundItem,
                create=create,
            )
    except BaseException:
        for added_photo in added:
            pictures._remove_photo_files(added_photo)
        raise
    if not created:
        for added_photo in added:  # a concurrent retry won: its item and photo stay
            pictures._remove_photo_files(added_photo)
    return item


def _check_photo_count(uploads: list[File[bytes]], already: int, errors: dict[str, str]) -> None:
    if already + len(uploads) > PHOTOS_AT_MOST:
        errors["photos"] = gettext("At most %(n)s photos of an item") % {"n": PHOTOS_AT_MOST}


def _prepared(uploads: list[File[bytes]]) -> list[PreparedPhoto]:
    """Each upload checked and re-encoded (``ValidationError`` naming ``photos``)."""
    prepared = []
    for upload in uploads:
        try:
            prepared.append(pictures.prepare_photo(upload))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.message_dict.get("file", exc.messages)}) from None
    return prepared


def update_found_item(
    *,
    actor: User | None,
    item: FoundItem,
    photos_to_add: Iterable[File[bytes]] = (),
    photos_to_hide: Iterable[Photo] = (),
    **changes: str,
) -> FoundItem:
    """Change what an item is, where it was found, where it is kept, the phone for claims;
    add photos (within ``PHOTOS_AT_MOST``) or take photos off the notice (they stay on the
    case, for staff). A published notice of the item is written anew to match."""
    check_scope(actor, item, "change", path=item.grid.path)
    errors: dict[str, str] = {}
    unknown = set(changes) - {*_CHANGEABLE, "contact_phone"}
    if unknown:
        raise ValidationError({key: gettext("This field cannot be changed") for key in unknown})
    for field, limit in _CHANGEABLE.items():
        if field in changes:
            required = {
                "what": gettext("Say what was found"),
                "where": gettext("Say where it was found"),
            }.get(field, "")
            changes[field] = _text(changes[field], field, limit, errors, required=required)
    if "contact_phone" in changes:
        changes["contact_phone"] = _phone(changes["contact_phone"], "contact_phone", errors)
    uploads = list(photos_to_add)
    shown = list(item_photos(item).values_list("pk", flat=True))
    hide = [photo.pk for photo in photos_to_hide]
    if any(pk not in shown for pk in hide):
        errors["photos_to_hide"] = gettext("That photo is not on the item's notice")
    _check_photo_count(uploads, len(shown) - len(set(hide)), errors)
    if errors:
        raise ValidationError(errors)
    prepared = _prepared(uploads)
    added = []
    try:
        with transaction.atomic():
            item = _locked_item(item.pk)
            check_scope(actor, item, "change", path=item.grid.path)
            before = audit.snapshot(item)
            for field, value in changes.items():
                setattr(item, field, value)
            after = audit.snapshot(item)
            if after != before:
                item.save(update_fields=list(changes))
            if prepared:
                case = item.case
                if case is None:  # its case was deleted: the photos have nowhere to go
                    raise ValidationError(
                        {"photos": gettext("The item's case is gone: photos cannot be added")}
                    )
                for upload in prepared:
                    added.append(
                        pictures.add_photo(actor=actor, case=case, upload=upload, public=True)
                    )
            for photo in Photo.objects.filter(pk__in=hide):
                pictures.set_photo_public(actor=actor, photo=photo, public=False)
            if after != before or added or hide:
                audit.record(
                    actor=actor,
                    action="lostfound.founditem.updated",
                    target=item,
                    node=item.grid,
                    before=before,
                    after={**after, "photos": list(item_photos(item).values_list("pk", flat=True))},
                )
                _refresh_notice(actor, item)
    except BaseException:
        for added_photo in added:
            pictures._remove_photo_files(added_photo)
        raise
    return item


def _refresh_notice(actor: User | None, item: FoundItem) -> None:
    """The item's published notice, written anew from the item as it is now; once the item
    is no longer held, the notice is settled (off the grid's page, still at its address)."""
    if item.notice_id is not None:
        notices.rewrite_notice(
            actor=actor,
            notice=Notice.objects.get(pk=item.notice_id),
            title=notice_title(item),
            body=notice_body(item),
            settled=item.state != ItemState.HELD,
            reason="found item changed",
        )


# --- Claims --------------------------------------------------------------------------------------


def _locked_item(item_id: int) -> FoundItem:
    item: FoundItem = (
        FoundItem.objects.select_for_update(of=("self",))
        .select_related("grid", "case")
        .get(pk=item_id)
    )
    return item


@transaction.atomic
def claim_item(
    *,
    actor: User | None,
    item: FoundItem,
    claimant_name: str,
    claimant_phone: str,
    claimant_address: str = "",
    proof: str = "",
) -> Claim:
    """Someone says the item is theirs: recorded, to be checked before it is handed over."""
    item = _locked_item(item.pk)
    check_scope(actor, Claim(), "add", path=item.grid.path)
    if item.state != ItemState.HELD:
        raise ValidationError({"item": _not_held(item)})
    errors: dict[str, str] = {}
    claimant_name = _text(
        claimant_name, "claimant_name", 64, errors, required=gettext("Give the claimant's name")
    )
    claimant_phone = _phone(
        claimant_phone, "claimant_phone", errors, required=gettext("Give the claimant's phone")
    )
    claimant_address = _text(claimant_address, "claimant_address", 200, errors)
    proof = _text(proof, "proof", inputs.NOTE, errors)
    if errors:
        raise ValidationError(errors)
    claim = Claim.objects.create(
        item=item,
        claimant_name=claimant_name,
        claimant_phone=claimant_phone,
        claimant_address=claimant_address,
        proof=proof,
    )
    _step(
        item,
        "claim_received",
        actor=actor,
        at=timezone.now(),
        note=stored(gettext_noop("Someone came to claim it; being checked")),
        data={"claim": claim.pk},
        audited=dict(
            action="lostfound.claim.created",
            target=claim,
            after=audit.snapshot(claim),
        ),
    )
    return claim


def _locked_claim(claim_id: int) -> tuple[Claim, FoundItem]:
    claim = Claim.objects.select_for_update(of=("self",)).get(pk=claim_id)
    item = _locked_item(claim.item_id)
    claim.item = item
    return claim, item


@transaction.atomic
def check_claim(
    *, actor: User | None, claim: Claim, verified: bool | None, note: str = ""
) -> Claim:
    """Whether the claimant showed the item is theirs (``note``: how; required when not)."""
    claim, item = _locked_claim(claim.pk)
    check_scope(actor, claim, "change", path=item.grid.path)
    errors: dict[str, str] = {}
    note = _text(note, "note", inputs.NOTE, errors)
    if errors:
        raise ValidationError(errors)
    if verified is None:
        raise ValidationError({"verified": gettext("Say whether the check was passed")})
    if claim.state != ClaimState.PENDING:
        raise ValidationError({"claim": _claim_is(claim)})
    if item.state != ItemState.HELD:
        raise ValidationError({"item": _not_held(item)})
    if not verified and not note:
        raise ValidationError({"note": gettext("Say why the check was not passed")})
    before = audit.snapshot(claim)
    claim.state = ClaimState.VERIFIED if verified else ClaimState.REJECTED
    claim.checked_by = actor
    claim.note = note
    claim.save(update_fields=["state", "checked_by", "note"])
    _step(
        item,
        "claim_verified" if verified else "claim_rejected",
        actor=actor,
        at=timezone.now(),
        note=stored(gettext_noop("The claimant was checked")) if verified else note,
        data={"claim": claim.pk, "verified": bool(verified)},
        audited=dict(
            action="lostfound.claim.checked",
            target=claim,
            before=before,
            after=audit.snapshot(claim),
            reason=note[:500],
        ),
    )
    return claim


@transaction.atomic
def hand_over(*, actor: User | None, claim: Claim, note: str = "") -> Claim:
    """Hand the item to a verified claimant; other open claims lapse, and the item's case is
    closed (solved on the spot) if it is still open."""
    claim, item = _locked_claim(claim.pk)
    check_scope(actor, claim, "change", path=item.grid.path)
    errors: dict[str, str] = {}
    # The claim keeps the check's note and this one together, within the note's limit.
    room = inputs.NOTE - (len(claim.note) + 1 if claim.note else 0)
    note = _text(note, "note", max(room, 0), errors)
    if errors:
        raise ValidationError(errors)
    if item.state != ItemState.HELD:
        raise ValidationError({"item": _not_held(item)})
    if claim.state != ClaimState.VERIFIED:
        reasons: dict[str, str] = {
            ClaimState.PENDING: gettext(
                "The claimant is not checked yet: it cannot be handed over"
            ),
            ClaimState.REJECTED: gettext("The claim failed its check: it cannot be handed over"),
        }
        reason = reasons.get(claim.state) or _claim_is(claim)
        raise ValidationError({"claim": reason})
    at = timezone.now()
    before_claim, before_item = audit.snapshot(claim), audit.snapshot(item)
    claim.state = ClaimState.HANDED_OVER
    claim.handed_over_at, claim.handed_over_by = at, actor
    claim.note = "\n".join(part for part in (claim.note, note) if part)
    claim.save(update_fields=["state", "handed_over_at", "handed_over_by", "note"])
    item.state = ItemState.HANDED_OVER
    item.save(update_fields=["state"])
    for other in item.claims.select_for_update(of=("self",)).filter(
        state__in=[ClaimState.PENDING, ClaimState.VERIFIED]
    ):
        before_other = audit.snapshot(other)
        other.state = ClaimState.REJECTED
        other.note = stored(gettext_noop("The item was handed to another claimant"))
        other.save(update_fields=["state", "note"])
        audit.record(
            actor=actor,
            action="lostfound.claim.checked",
            target=other,
            node=item.grid,
            before=before_other,
            after=audit.snapshot(other),
            reason=other.note,
        )
    _step(
        item,
        "handed_over",
        actor=actor,
        at=at,
        note=stored(gettext_noop("The item was handed to its owner")),
        data={"claim": claim.pk, **({"note": note} if note else {})},
        audited=dict(
            action="lostfound.claim.handed_over",
            target=claim,
            before=before_claim,
            after=audit.snapshot(claim),
            reason=note[:500],
        ),
    )
    audit.record(
        actor=actor,
        action="lostfound.founditem.handed_over",
        target=item,
        node=item.grid,
        before=before_item,
        after=audit.snapshot(item),
        reason=note[:500],
    )
    if item.case is not None:
        _close_case(actor, item.case, at=at, note=note)
    _refresh_notice(actor, item)  # it now says the item is back with its owner
    return claim


# The moves that take a found item's case from where it stands to closed (see machine.MOVES):
# made as the actor, so each only if they may; the case stays where the first refusal leaves
# it (a case sent to an outside agency, parked or escalated is not closed from here).
_TO_CLOSED: dict[str, list[str]] = {
    State.REPORTED: ["solve_now"],
    State.ACCEPTED: ["solve_now"],
    State.DISPATCHED: ["finish", "verify", "close"],
    State.SIGNED: ["finish", "verify", "close"],
    State.HANDLING: ["finish", "verify", "close"],
    State.DONE: ["verify", "close"],
    State.VERIFIED: ["close"],
}


def _close_case(actor: User | None, case: Case, *, at: datetime.datetime, note: str) -> Case:
    case = Case.objects.get(pk=case.pk)
    text = (
        stored(gettext_noop("Handed to its owner: %(note)s"), note=note)
        if note
        else stored(gettext_noop("Handed to its owner"))
    )
    for action in _TO_CLOSED.get(case.state, []):
        if action == "solve_now" and case.kind != Kind.INSTANT:
            break
        try:
            case = cases.act(actor=actor, case=case, action=action, note=text, at=at)
        except (Refused, ValidationError):  # the hand-over stands; staff move the case on
            break
    return case


# --- The notice ----------------------------------------------------------------------------------


def notice_from_found_item(*, actor: User | None, item: FoundItem) -> Notice:
    """Publish the item's lost-and-found notice (失物招领) to its grid — the grid's page and
    its group's robot — with the words staff copy (never the finder's phone), in the site's
    language. One notice per item: asked again, the first one."""
    with transaction.atomic():
        item = _locked_item(item.pk)
        check_scope(actor, item, "view", path=item.grid.path)
        if item.notice_id is not None:
            return Notice.objects.get(pk=item.notice_id)
        kind = NoticeKind.objects.filter(code=NOTICE_KIND, is_active=True).first()
        if kind is None:
            raise ValidationError(
                {
                    "kind": gettext("No notice kind for lost and found (%(code)s) is in use")
                    % {"code": NOTICE_KIND}
                }
            )
        notice = notices.create_notice(
            actor=actor,
            kind=kind,
            title=notice_title(item),
            body=notice_body(item),
            nodes=[item.grid],
        )
        before = audit.snapshot(item)
        item.notice = notice
        item.save(update_fields=["notice"])
        audit.record(
            actor=actor,
            action="lostfound.founditem.published",
            target=item,
            node=item.grid,
            before=before,
            after=audit.snapshot(item),
        )
        for photo in item_photos(item):
            with photo.image.open("rb") as image:
                data = image.read()
            extension = photo.image.name[photo.image.name.rfind(".") :]
            upload = ContentFile(data, name=f"photo-{photo.pk}{extension}")
            notices.add_notice_file(actor=actor, notice=notice, upload=upload)
        return notices.publish_notice(actor=actor, notice=notice)
