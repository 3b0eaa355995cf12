"""The grid team and its errands (网格团队与帮办代办): buildings given to a team member to look
after, a member's contact number, a helper added to a grid's team; errands raised for people
who need care, given to a helper of the person's grid, accepted, done (minutes, a note, a
photo or receipt), rated by the person served, or cancelled with a reason.

Every function is one transaction with its audit event (``fieldwork.<model>.<verb>``). A
helper acts only on the errands given to them: each move reads the errand through
``CareRequest.objects.restrict`` first (anything else is a 404). Moves from the phone take an
idempotency key, so a form sent twice does its work once. ``at`` backdates a move (the demo).
"""

from __future__ import annotations

import contextlib
import datetime
import secrets
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wangge.accounts import services as accounts
from wangge.accounts.models import Membership
from wangge.cases.photos import PreparedPhoto, prepare_photo
from wangge.core import audit, inputs
from wangge.core.errors import ValidationError, not_found
from wangge.core.scope import get_scope
from wangge.core.services import check_scope, idempotent
from wangge.fieldwork import team
from wangge.fieldwork.models import (
    CareRequest,
    ErrandKind,
    ErrandSource,
    ErrandState,
    RatingWay,
    TeamContact,
    TeamDuty,
)
from wangge.people import phone as phones

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.people.models import Person, Visit
    from wangge.territory.models import Building, Node

MAX_MINUTES = 24 * 60


def _errand_snapshot(errand: CareRequest) -> dict[str, object]:
    assignee = errand.assignee.label if errand.assignee is not None else ""
    return audit.snapshot(errand, extra={"assignee": assignee, "photo": errand.photo.name or ""})


# --- The team ------------------------------------------------------------------------------------


@transaction.atomic
def assign_building(
    *, actor: User | None, membership: Membership, building: Building, reason: str = ""
) -> TeamDuty:
    """Give a team member a building to look after (in their reach: their grid, a building
    of their micro-grid's grid, a building of their community). Given already: unchanged."""
    errors = {}
    if not membership.is_active or membership.role not in team.TEAM_ROLES:
        errors["membership"] = gettext("Only a member of a grid team looks after buildings")
    elif not team.reaches(membership.node, building.grid):
        errors["building"] = gettext("The building is not in the member's grid")
    if errors:
        raise ValidationError(errors)
    check_scope(actor, TeamDuty(), "add", path=building.grid.path)
    duty = TeamDuty.objects.filter(membership=membership, building=building).first()
    if duty is not None:
        return duty
    duty = TeamDuty.objects.create(membership=membership, building=building, created_by=actor)
    audit.record(
        actor=actor,
        action="fieldwork.teamduty.created",
        target=duty,
        node=building.grid,
        after={
            "user": membership.user.label,
            "role": membership.role,
            "building": f"{building.compound}{building.name}",
        },
        reason=reason,
    )
    return duty


@transaction.atomic
def unassign_building(*, actor: User | None, duty: TeamDuty, reason: str = "") -> None:
    """A team member no longer looks after a building."""
    building = duty.building
    check_scope(actor, duty, "delete", path=building.grid.path)
    audit.record(
        actor=actor,
        action="fieldwork.teamduty.deleted",
        target=duty,
        node=building.grid,
        before={
            "user": duty.membership.user.label,
            "role": duty.membership.role,
            "building": f"{building.compound}{building.name}",
        },
        reason=reason,
    )
    duty.delete()


@transaction.atomic
def set_team_contact(*, actor: User | None, membership: Membership, phone: str) -> TeamContact:
    """A team member's phone number (stored encrypted, shown masked); empty removes it."""
    number = ""
    if phone:
        try:
            number = phones.validate(phone)
        except phones.InvalidPhone as error:
            raise ValidationError({"phone": str(error)}) from error
    check_scope(actor, TeamContact(), "change", path=membership.node.path)
    contact = TeamContact.objects.filter(membership=membership).first()
    before = audit.snapshot(contact) if contact else None
    if contact is None:
        contact = TeamContact(membership=membership)
    contact.phone = number
    after = audit.snapshot(contact)
    if before == after:
        return contact
    contact.save()
    audit.record(
        actor=actor,
        action="fieldwork.teamcontact.updated" if before else "fieldwork.teamcontact.created",
        target=contact,
        node=membership.node,
        before=before,
        after=after,
    )
    return contact


@transaction.atomic
def add_team_member(
    *,
    actor: User | None,
    node: Node,
    role: str,
    username: str,
    display_name: str,
    phone: str = "",
) -> Membership:
    """A helper joins a grid's team: an account (without a password: they sign in once one
    is issued), a membership on the grid (or the community) through the accounts' services,
    and their contact number."""
    errors = {}
    if role not in team.HELPER_ROLES:
        errors["role"] = gettext(
            "A team member is a building head, a party member, a police "
            "officer, property staff or a volunteer"
        )
    if not display_name.strip():
        errors["display_name"] = gettext("Give the member's name")
    inputs.check_length(errors, "display_name", display_name, 64)
    if not username.strip():
        errors["username"] = gettext("Give a user name")
    inputs.check_length(errors, "username", username, 150)
    if phone:
        try:
            phones.validate(phone)
        except phones.InvalidPhone as error:
            errors["phone"] = str(error)
    if errors:
        raise ValidationError(errors)
    check_scope(actor, Membership(), "add", path=node.path)
    user = accounts.create_user(
        actor=actor, username=username.strip(), display_name=display_name.strip()
    )
    membership = accounts.add_membership(actor=actor, user=user, node=node, role=role)
    if phone:
        set_team_contact(actor=actor, membership=membership, phone=phone)
    return membership


# --- Errands ------------------------------------------------------------------------------------


def _moment(
    value: datetime.datetime | None,
    name: str,
    *,
    not_before: datetime.datetime | None = None,
) -> datetime.datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + datetime.timedelta(minutes=5):
        raise ValidationError({name: gettext("A time in the future")})
    if not_before is not None and value < not_before:
        raise ValidationError({name: gettext("Before the errand was asked for")})
    return value


def _visible(actor: User | None, errand: CareRequest, action: str) -> CareRequest:
    """The errand as ``actor`` may ``action`` it (a helper: only one given to them), locked
    for the move; else a 404."""
    rows = CareRequest.objects.select_for_update()
    if actor is not None:
        rows = rows.restrict(actor, action)
    found = rows.filter(pk=errand.pk).first()
    if found is None:
        raise not_found()
    fresh: CareRequest = CareRequest.objects.select_related(
        "grid", "person", "kind", "assignee"
    ).get(pk=found.pk)
    return fresh


def _staff(actor: User, errand: CareRequest) -> bool:
    """Whether ``actor`` holds a role other than a helper's at the errand's grid (they may
    record a step for the helper, told by phone)."""
    scope = get_scope(actor)
    return scope.unrestricted or any(
        role not in team.HELPER_ROLES for role in scope.roles_at(errand.grid.path)
    )


def _state(errand: CareRequest, allowed: set[str], action: str) -> None:
    if errand.state not in allowed:
        raise ValidationError(
            {
                "state": gettext("An errand that is “%(state)s” cannot be %(action)s")
                % {"state": errand.get_state_display(), "action": action}
            }
        )


def _record(
    actor: User | None,
    action: str,
    errand: CareRequest,
    before: dict[str, object] | None,
    reason: str = "",
) -> None:
    audit.record(
        actor=actor,
        action=f"fieldwork.carerequest.{action}",
        target=errand,
        node=errand.grid,
        before=before,
        after=_errand_snapshot(errand),
        reason=reason,
    )


def _whole(errors: dict[str, str], name: str, value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        errors[name] = gettext("Give a whole number")
        return None
    if not low <= number <= high:
        errors[name] = gettext("Give a number from %(low)s to %(high)s") % {
            "low": low,
            "high": high,
        }
        return None
    return number


def raise_errand(
    *,
    actor: User | None,
    person: Person,
    kind: ErrandKind,
    description: str,
    source: str = ErrandSource.PERSON,
    wanted_by: datetime.date | None = None,
    visit: Visit | None = None,
    at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> tuple[CareRequest, bool]:
    """An errand asked for a person with a care tag (or on their behalf), open until it is
    given to a helper; and whether it was made now (not found by its idempotency key)."""
    errors: dict[str, str] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = gettext("Say what is needed")
    inputs.check_lengths(errors, CareRequest, {"description": description})
    inputs.no_nul(errors, {"description": description})
    inputs.check_choice(errors, "source", source, ErrandSource)
    if not kind.is_active:
        errors["kind"] = gettext("This kind of errand is no longer used")
    if not person.tag_links.filter(tag__is_active=True).exists():
        errors["person"] = gettext("Errands are done for people with a care tag")
    if visit is not None and visit.household_id != person.household_id:
        errors["visit"] = gettext("The visit was not to the person's household")
    if errors:
        raise ValidationError(errors)
    check_scope(actor, CareRequest(), "add", path=person.grid.path)
    raised_at = _moment(at, "raised_at")

    def create() -> CareRequest:
        errand = CareRequest.objects.create(
            person=person,
            grid=person.grid,
            kind=kind,
            description=description,
            source=source,
            visit=visit,
            wanted_by=wanted_by,
            raised_by=actor,
            raised_at=raised_at,
        )
        _record(actor, "created", errand, None)
        return errand

    with transaction.atomic():
        return idempotent(
            key=idempotency_key,
            actor=actor,
            operation="fieldwork.carerequest.create",
            model=CareRequest,
            create=create,
        )


@transaction.atomic
def assign_errand(
    *,
    actor: User | None,
    errand: CareRequest,
    helper: User,
    note: str = "",
    at: datetime.datetime | None = None,
) -> CareRequest:
    """Give an open errand (or give again an assigned one) to a helper of the person's grid."""
    errand = _visible(actor, errand, "assign")
    _state(errand, {ErrandState.OPEN, ErrandState.ASSIGNED}, gettext("assigned"))
    errors: dict[str, str] = {}
    if not team.is_helper_of(helper, errand.grid):
        errors["helper"] = gettext("Not a member of the team of the person's grid")
    inputs.check_length(errors, "note", note, inputs.NOTE)
    if errors:
        raise ValidationError(errors)
    when = _moment(at, "assigned_at", not_before=errand.raised_at)
    before = _errand_snapshot(errand)
    if errand.assignee_id == helper.pk and errand.state == ErrandState.ASSIGNED:
        return errand
    errand.assignee = helper
    errand.assigned_by = actor
    errand.assigned_at = when
    errand.accepted_at = None
    errand.state = ErrandState.ASSIGNED
    errand.save()
    _record(actor, "assigned", errand, before, reason=note.strip())
    return errand


@transaction.atomic
def accept_errand(
    *, actor: User | None, errand: CareRequest, at: datetime.datetime | None = None
) -> CareRequest:
    """The helper says they will do it."""
    errand = _visible(actor, errand, "change")
    _state(errand, {ErrandState.ASSIGNED}, gettext("accepted"))
    if actor is not None and errand.assignee_id != actor.pk and not _staff(actor, errand):
        raise ValidationError({"helper": gettext("Only the helper it was given to accepts it")})
    if errand.accepted_at is not None:
        return errand
    before = _errand_snapshot(errand)
    errand.accepted_at = _moment(at, "accepted_at", not_before=errand.assigned_at)
    errand.save()
    _record(actor, "accepted", errand, before)
    return errand


def _write_photo(prepared: PreparedPhoto) -> str:
    field = CareRequest._meta.get_field("photo")
    month = timezone.localtime().strftime("%Y/%m")
    name = f"errands/{month}/{secrets.token_hex(16)}{prepared.extension}"
    return field.storage.save(name, ContentFile(prepared.data))


def _remove_photo(name: str) -> None:
    with contextlib.suppress(OSError):
        CareRequest._meta.get_field("photo").storage.delete(name)


def record_errand_done(
    *,
    actor: User | None,
    errand: CareRequest,
    minutes: object,
    note: str,
    done_at: datetime.datetime | None = None,
    photo: object = None,
    idempotency_key: str | None = None,
) -> CareRequest:
    """The errand done: what was done, when, how many minutes it took (the helper's service
    hours), a photo or receipt if there is one. A retry with the same key does nothing."""
    errors: dict[str, str] = {}
    count = _whole(errors, "minutes", minutes, 1, MAX_MINUTES)
    note = (note or "").strip()
    if not note:
        errors["note"] = gettext("Say what was done")
    inputs.check_lengths(errors, CareRequest, {"done_note": note}, names={"done_note": "note"})
    inputs.no_nul(errors, {"note": note})
    prepared = None
    if photo is not None:
        try:
            prepared = prepare_photo(photo)
        except ValidationError as error:
            errors["photo"] = " ".join(error.message_dict.get("file", error.messages))
    if errors:
        raise ValidationError(errors)
    name = _write_photo(prepared) if prepared is not None else ""
    try:
        with transaction.atomic():
            result, created = idempotent(
                key=idempotency_key,
                actor=actor,
                operation="fieldwork.carerequest.done",
                model=CareRequest,
                create=lambda: _done(actor, errand, count, note, done_at, name),
            )
    except BaseException:
        if name:
            _remove_photo(name)
        raise
    if not created and name:
        _remove_photo(name)
    return result


def _done(
    actor: User | None,
    errand: CareRequest,
    minutes: int | None,
    note: str,
    done_at: datetime.datetime | None,
    photo_name: str,
) -> CareRequest:
    errand = _visible(actor, errand, "change")
    _state(errand, {ErrandState.ASSIGNED}, gettext("recorded as done"))
    when = _moment(done_at, "done_at", not_before=errand.raised_at)
    before = _errand_snapshot(errand)
    errand.state = ErrandState.DONE
    errand.done_at = when
    errand.accepted_at = errand.accepted_at or when
    errand.minutes = minutes
    errand.done_note = note
    if photo_name:
        errand.photo.name = photo_name
    errand.save()
    _record(actor, "done", errand, before)
    return errand


def rate_errand(
    *,
    actor: User | None,
    errand: CareRequest,
    rating: object,
    way: str,
    words: str = "",
    at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> CareRequest:
    """The person's rating of a done errand (1–5, and their words), recorded by the helper on
    their behalf (``in_person``) or by staff after a call back (``callback``): who recorded
    it and how are kept."""
    errors: dict[str, str] = {}
    score = _whole(errors, "rating", rating, 1, 5)
    inputs.check_choice(errors, "way", way, RatingWay)
    words = (words or "").strip()
    inputs.check_lengths(
        errors, CareRequest, {"rating_words": words}, names={"rating_words": "words"}
    )
    inputs.no_nul(errors, {"words": words})
    if errors:
        raise ValidationError(errors)

    def rate() -> CareRequest:
        found = _visible(actor, errand, "change")
        _state(found, {ErrandState.DONE}, gettext("rated"))
        before = _errand_snapshot(found)
        found.rating = score
        found.rating_words = words
        found.rating_way = way
        found.rated_by = actor
        found.rated_at = _moment(at, "rated_at", not_before=found.done_at)
        found.state = ErrandState.RATED
        found.save()
        _record(actor, "rated", found, before)
        return found

    with transaction.atomic():
        result, _created = idempotent(
            key=idempotency_key,
            actor=actor,
            operation="fieldwork.carerequest.rate",
            model=CareRequest,
            create=rate,
        )
    return result


@transaction.atomic
def cancel_errand(
    *, actor: User | None, errand: CareRequest, reason: str, at: datetime.datetime | None = None
) -> CareRequest:
    """An errand no longer wanted (or done by someone else), with the reason."""
    errand = _visible(actor, errand, "cancel")
    _state(errand, {ErrandState.OPEN, ErrandState.ASSIGNED}, gettext("cancelled"))
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = gettext("Say why it is cancelled")
    inputs.check_lengths(
        errors, CareRequest, {"cancel_reason": reason}, names={"cancel_reason": "reason"}
    )
    if errors:
        raise ValidationError(errors)
    before = _errand_snapshot(errand)
    errand.state = ErrandState.CANCELLED
    errand.cancelled_at = _moment(at, "cancelled_at", not_before=errand.raised_at)
    errand.cancel_reason = reason
    errand.save()
    _record(actor, "cancelled", errand, before, reason=reason)
    return errand
