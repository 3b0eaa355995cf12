"""Intake: a case taken in from any channel — the API, the phone, the QR page, Open311, the
12345 hotline, lost and found — accepted and routed at once when whoever enters it may accept
it; praise thanked and closed."""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from wangge.cases import machine, metrics, public_text
from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import Channel, Kind, Mark, Stage, State
from wangge.cases.limits import limit_for
from wangge.cases.models import Case, CaseEvent, Category, Follower
from wangge.cases.routing import route
from wangge.cases.services import deadlines, timeline
from wangge.cases.services.moves import act
from wangge.cases.services.staff import notify_place
from wangge.core import crypto, inputs, memo
from wangge.core.errors import ValidationError
from wangge.core.formspec import clean_answers
from wangge.core.services import check_scope, idempotent, replay
from wangge.core.words import stored
from wangge.territory import geo
from wangge.territory.choices import CRS
from wangge.territory.locate import get_index
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.people.models import Person
    from wangge.territory.models import Building

MAX_DESCRIPTION = inputs.DESCRIPTION
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone
FIELD_CHANNELS = {Channel.PATROL, Channel.HOME_VISIT}


def _tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def phone_hash(phone: str) -> str:
    return crypto.keyed_hash(f"phone:{phone}") if phone else ""


def grid_by_id(pk: int) -> Node:
    """A grid the index found (once per ``steady()`` block; its polygon is left in the
    database, the index has it)."""
    return memo.remember(("territory.grid", pk), lambda: Node.objects.defer("geometry").get(pk=pk))


def _place(
    *,
    grid: Node | None,
    lng: float | None,
    lat: float | None,
    crs: str,
    building: Building | None,
) -> tuple[Node, float | None, float | None]:
    """Where the case is: a building's point, a point, or a grid given outright."""
    if building is not None and (lng is None or lat is None):
        lng, lat = building.lng, building.lat
        if lng is None:
            return building.grid, None, None
    elif lng is not None and lat is not None:
        # Each coordinate named on its own (NaN is outside every range).
        wrong = {
            field: gettext("The coordinates are out of range")
            for field, ok in (("lng", -180 <= lng <= 180), ("lat", -90 <= lat <= 90))
            if not ok
        }
        if wrong:
            raise ValidationError(wrong)
        lng, lat = (float(v) for v in geo.to_wgs84(lng, lat, crs))
    if lng is not None and lat is not None:
        located = int(get_index().locate_many([lng], [lat])[0])
        if located >= 0:
            point_grid = grid_by_id(located)
            if grid is not None and not point_grid.path.startswith(grid.path):
                raise ValidationError(
                    {"lng": gettext("The place is not in “%(grid)s”") % {"grid": grid.name}}
                )
            return point_grid, lng, lat
        if grid is None:
            raise ValidationError({"lng": gettext("The place is in no grid")})
    if grid is None:
        raise ValidationError({"grid": gettext("Give the place, the building or the grid")})
    return grid, lng, lat


@memo.steady()
def report(
    *,
    actor: User | None,
    channel: str,
    category: Category,
    description: str,
    title: str = "",
    kind: str = "",
    grid: Node | None = None,
    lng: float | None = None,
    lat: float | None = None,
    crs: str = CRS.WGS84,
    address: str = "",
    building: Building | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_person: Person | None = None,
    attributes: dict | None = None,
    public: bool = False,
    reply: str = "",
    external_source: str = "",
    external_id: str = "",
    received_at: datetime.datetime | None = None,
    due_at: datetime.datetime | None = None,
    solved_note: str = "",
    idempotency_key: str | None = None,
) -> Case:
    """Take in a case from any channel.

    Staff (and grid workers on patrol) who may accept cases have theirs accepted on entry and
    routed at once; residents' cases (web, QR code, Open311, the hotline) wait for acceptance.
    ``public`` lists the case in Open311's public feed; ``reply`` is a first answer written
    for the resident (the description is the resident's words, not a reply).
    With ``solved_note`` the reporter solved it where they stand (当场办结): the case is an
    instant one, closed at once with that note as its result (or not written at all, if the
    reporter may not solve it).
    """
    earlier = replay(key=idempotency_key, actor=actor, operation="case.report", model=Case)
    if earlier is not None:
        return earlier
    # A message by field, or the messages a check raised (the reply's).
    errors: dict[str, str | list[str]] = {}
    inputs.check_choice(errors, "channel", channel, Channel)
    inputs.check_choice(errors, "crs", crs, CRS)
    if not category.is_active:
        errors["category"] = gettext("This category is no longer in use")
    description = (description or "").strip()
    title = (title or "").strip()
    if not description and not title:
        errors["description"] = gettext("Describe the problem")
    solved_note = (solved_note or "").strip()
    kind = Kind.INSTANT if solved_note else (kind or category.default_kind)
    inputs.check_choice(errors, "kind", kind, Kind)
    # Every typed text within its column's limit, checked here: the API hands in what it is
    # sent, and PostgreSQL refuses a longer value or a NUL with an error, not a message.
    typed = {
        "title": title,
        "description": description,
        "address": address,
        "reporter_name": reporter_name,
        "external_id": external_id,
    }
    inputs.check_lengths(errors, Case, typed)
    # The result of a case solved on the spot is the note of its closing step.
    inputs.check_lengths(errors, CaseEvent, {"note": solved_note}, names={"note": "solved_note"})
    inputs.no_nul(errors, {**typed, "solved_note": solved_note})
    try:
        reply = public_text.clean_reply(reply)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    answers, answer_errors = clean_answers(category.form, attributes)
    errors.update({f"attributes.{code}": message for code, message in answer_errors.items()})
    if reporter_phone:
        from wangge.people import phone as phones

        try:
            reporter_phone = phones.validate(reporter_phone)
        except phones.InvalidPhone as exc:
            errors["reporter_phone"] = str(exc)
    if errors:
        raise ValidationError(errors)
    grid, lng, lat = _place(grid=grid, lng=lng, lat=lat, crs=crs, building=building)
    check_scope(actor, Case(), "add", path=grid.path)
    if (
        external_id
        and Case.objects.filter(external_source=external_source, external_id=external_id).exists()
    ):
        raise ValidationError(
            {"external_id": gettext("External number %(n)s is in already") % {"n": external_id}}
        )
    at = received_at or timezone.now()
    if due_at is not None and due_at <= at:
        raise ValidationError(
            {"due_at": gettext("The promised time must come after the time received")}
        )

    # Everything that needs no lock is done before the transaction: on SQLite the write lock is
    # held from its first statement to its last, and every other writer waits meanwhile.
    cal = WorkCalendar()
    case = Case(
        number="",
        tracking_code=_tracking_code(),
        # A title typed is kept whole (its length was checked); without one the system makes
        # it from the start of the description, which is kept whole beside it.
        title=title or description[: inputs.limit_of(Case, "title")],
        description=description,
        category=category,
        kind=kind,
        urgent=category.is_urgent(answers),
        channel=channel,
        grid=grid,
        lng=lng,
        lat=lat,
        address=address,
        building=building,
        attributes=answers,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_phone_hash=phone_hash(reporter_phone),
        reporter_person=reporter_person,
        entered_by=actor,
        public=public,
        external_source=external_source,
        external_id=external_id,
        created_at=at,
        due_at=due_at,
    )
    problem = category.counts_as_problem
    if problem:
        limit = limit_for(category, Stage.ACCEPT, urgent=case.urgent)
        case.respond_by = cal.add(at, limit.amount, limit.unit) if limit else None
        deadlines.enter(case, State.REPORTED, at, cal)

    def create() -> Case:
        # Reported, accepted and dispatched at once, its roll-up rows are written once (in the
        # idempotency key's savepoint: a concurrent retry that wins takes them back too).
        with metrics.batched():
            return enter()

    def enter() -> Case:
        case.number = f"tmp-{case.tracking_code}"
        case.save()
        case.number = f"{timezone.localtime(at):%Y%m%d}{case.pk:07d}"
        Case.objects.filter(pk=case.pk).update(number=case.number)
        # A first reply goes on the step the resident hears of: "accepted" when the case is
        # accepted on entry (its SMS says so), else "reported".
        accepting = actor is not None and machine.may(actor, case, "accept")
        timeline.record_step(
            case,
            "reported",
            actor=actor,
            at=at,
            before_state="",
            before=None,
            # The timeline's first step shows the start of the description (kept whole on
            # the case): composed by the system, so shortened.
            note=description[:200],
            reply="" if accepting else reply,
            data={"channel": channel},
        )
        if reporter_phone:
            Follower.objects.create(
                case=case, phone=reporter_phone, phone_hash=case.reporter_phone_hash
            )
        if not problem:
            _thank(case, at=at)
            return case
        metrics.apply(None, metrics.facts(case))
        if accepting:
            _accept(
                case,
                actor=actor,
                at=at,
                cal=cal,
                dispatch=kind != Kind.INSTANT or channel not in FIELD_CHANNELS,
                reply=reply,
            )
        if solved_note:
            _take(case, act(actor=actor, case=case, action="solve_now", note=solved_note, at=at))
        return case

    with transaction.atomic():
        case, _created = idempotent(
            key=idempotency_key,
            actor=actor,
            operation="case.report",
            model=Case,
            create=create,
            # Looked up above; a concurrent retry is caught by the key's uniqueness.
            replayed=True,
        )
    return case


def _thank(case: Case, *, at: datetime.datetime) -> None:
    """Praise and thanks are not a problem to solve: recorded, thanked and closed at once —
    no time limit, no task, no message asking for a rating, nothing in the rates. The people
    of its grid and community are told."""
    before, before_state = timeline.case_snapshot(case), case.state
    case.state = State.CLOSED
    case.stage, case.stage_started_at, case.stage_deadline, case.stage_warn_at = (
        "",
        None,
        None,
        None,
    )
    case.mark = Mark.ON_TIME
    case.closed_at = at
    case.save()
    timeline.record_step(
        case,
        "thanked",
        actor=None,
        at=at,
        before_state=before_state,
        before=before,
        # Written for the resident who sent it: a reply, shown on the tracking page.
        reply=stored(
            gettext_noop(
                "Thank you for your kind words: they have been passed on to the people they "
                "are about."
            )
        ),
        tell_followers=False,
    )
    notify_place(case, stored(gettext_noop("A resident's praise: “%(title)s”"), title=case.title))


def _accept(
    case: Case,
    *,
    actor: User | None,
    at: datetime.datetime,
    cal: WorkCalendar,
    dispatch: bool = True,
    reply: str = "",
) -> None:
    """Accept (受理) a new case, promise a time, and send it where the rules say (``reply``:
    a first answer to the resident)."""
    before, before_facts = timeline.case_snapshot(case), metrics.facts(case)
    case.accepted_at = at
    deadlines.promise(case, at, cal, keep=True)
    deadlines.enter(case, State.ACCEPTED, at, cal)
    found = route(grid=case.grid, category=case.category, kind=case.kind)
    case.handler = found.user
    case.save()
    timeline.record_step(
        case,
        "accepted",
        actor=actor,
        at=at,
        before_state=State.REPORTED,
        before=before,
        reply=reply,
        data={"rule": found.rule.pk if found.rule else None},
    )
    metrics.apply(before_facts, metrics.facts(case))
    if dispatch and found.found:
        moved = act(
            actor=None,
            case=case,
            action="dispatch",
            assignees=[found.user] if found.user else [],
            team=found.team,
            at=at,
            note=stored(gettext_noop("Dispatched by the routing rules")),
        )
        _take(case, moved)


def _take(case: Case, moved: Case) -> None:
    """Bring ``case`` up to ``moved``, the same row as a move left it (what
    ``refresh_from_db`` does without reading it again): the related objects already at hand
    are kept where they are still the same."""
    for field in Case._meta.concrete_fields:
        value = getattr(moved, field.attname)
        # A case's relations are all foreign keys, which cache the object they point to.
        if isinstance(field, models.ForeignKey) and getattr(case, field.attname) != value:
            if field.is_cached(moved):
                field.set_cached_value(case, field.get_cached_value(moved))
            elif field.is_cached(case):
                field.delete_cached_value(case)
        setattr(case, field.attname, value)
