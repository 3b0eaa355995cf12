"""Writing cases: intake on every channel, every move of the loop, the deadline sweep.

Each function is keyword-only and atomic; it checks scope and the state machine, writes the
case's timeline (``CaseEvent``), its audit event and its roll-up counts in one transaction.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from wangge.cases import machine, metrics, public_text
from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import (
    FINAL_STATES,
    Channel,
    ExtensionState,
    Kind,
    LimitUnit,
    Mark,
    Rating,
    Stage,
    State,
    TaskState,
)
from wangge.cases.limits import limit_for
from wangge.cases.machine import Refused
from wangge.cases.models import Agency, Case, CaseEvent, Category, Extension, Follower, Task, Team
from wangge.cases.routing import route
from wangge.core import audit, crypto, inputs, memo
from wangge.core.errors import ValidationError
from wangge.core.formspec import clean_answers
from wangge.core.models import Notification
from wangge.core.services import allowed, check_scope, idempotent, replay
from wangge.core.words import stored
from wangge.notices import loop as messages
from wangge.territory import geo
from wangge.territory.choices import COMMUNITY_KINDS, CRS
from wangge.territory.locate import get_index
from wangge.territory.models import Node

__all__ = ["Refused"]

MAX_DESCRIPTION = inputs.DESCRIPTION
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone
FIELD_CHANNELS = {Channel.PATROL, Channel.HOME_VISIT}


def _tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def phone_hash(phone: str) -> str:
    return crypto.keyed_hash(f"phone:{phone}") if phone else ""


def case_snapshot(case: Case) -> dict:
    data = audit.snapshot(case)
    for key in ("stage_warn_at", "tracking_code"):
        data.pop(key, None)
    return data


# --- Deadlines -----------------------------------------------------------------------------------


def _enter(case: Case, state: str, at: datetime.datetime, cal: WorkCalendar) -> None:
    """Put the case in ``state`` and start the time limit of the stage that state is in."""
    case.state = state
    stage = machine.STAGE_OF.get(state, "")
    if stage != case.stage or state in (State.DISPATCHED, State.REPORTED):
        case.stage = stage
        case.stage_started_at = at if stage else None
        case.stage_deadline = case.stage_warn_at = None
        if stage == Stage.HANDLE and case.due_at:
            # Handling runs to the promised time (moved only by an approved extension).
            case.stage_deadline = _handling_deadline(case, cal)
            case.stage_warn_at = _warn_at(case, stage, at, cal)
        elif stage:
            limit = limit_for(case.category, stage, urgent=case.urgent)
            if limit is not None:
                case.stage_deadline = cal.add(at, limit.amount, limit.unit)
                case.stage_warn_at = cal.add(at, limit.amount * limit.warn_ratio, limit.unit)
    case.mark = _mark(case, at)


def _handling_deadline(case: Case, cal: WorkCalendar) -> datetime.datetime | None:
    """The promised time; after a reopening, no sooner than the category's handling time
    from the reopening (the case's last dispatch), so work done again is not born late."""
    deadline = case.due_at
    if case.reopen_count and case.dispatched_at and deadline is not None:
        limit = limit_for(case.category, Stage.HANDLE, urgent=case.urgent)
        if limit is not None:
            deadline = max(deadline, cal.add(case.dispatched_at, limit.amount, limit.unit))
    return deadline


def _warn_at(case, stage, start, cal):
    limit = limit_for(case.category, stage, urgent=case.urgent)
    if limit is None or not case.stage_deadline:
        return None
    span = cal.working_seconds_between(start, case.stage_deadline)
    return cal.add_working_seconds(start, span * float(limit.warn_ratio))


def _promise(case: Case, at: datetime.datetime, cal: WorkCalendar, *, keep=False) -> None:
    """The promised completion time, set when the case is accepted — unless the case came with
    one (``keep``: a hotline work order carries the limit the hotline gave it)."""
    if keep and case.due_at is not None:
        return
    limit = limit_for(case.category, Stage.HANDLE, urgent=case.urgent)
    case.due_at = cal.add(at, limit.amount, limit.unit) if limit else None


def _mark(case: Case, now: datetime.datetime) -> str:
    if case.state in FINAL_STATES or case.state == State.PARKED or not case.stage_deadline:
        return Mark.ON_TIME
    if now >= case.stage_deadline:
        return Mark.RED
    if case.stage_warn_at and now >= case.stage_warn_at:
        return Mark.YELLOW
    return Mark.ON_TIME


# --- The timeline --------------------------------------------------------------------------------


def _record(
    case,
    action,
    *,
    actor,
    at,
    before_state,
    before,
    note="",
    reply="",
    task=None,
    data=None,
    reason="",
    tell_followers=True,
):
    """One step of the timeline: ``note`` for staff, ``reply`` for the resident; public as
    ``public_text.shown`` says."""
    event = CaseEvent.objects.create(
        case=case,
        task=task,
        action=action,
        from_state=before_state,
        to_state=case.state,
        actor=actor,
        actor_name=actor.label if actor is not None else "",  # the system: shown as such
        at=at,
        note=note,
        reply=reply,
        public=public_text.shown(action, reply),
        data=data or {},
    )
    audit.record(
        actor=actor,
        action=f"cases.case.{action}",
        target=case,
        node=case.grid,
        before=before,
        after=case_snapshot(case),
        reason=reason or note[:500],
    )
    # The reporter's SMS of the change goes into the outbox with the change itself.
    if tell_followers:
        messages.case_changed(case, event)
    return event


# --- Intake --------------------------------------------------------------------------------------


def grid_by_id(pk: int) -> Node:
    """A grid the index found (once per ``steady()`` block; its polygon is left in the
    database, the index has it)."""
    return memo.remember(("territory.grid", pk), lambda: Node.objects.defer("geometry").get(pk=pk))


def _place(*, grid, lng, lat, crs, building):
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
    actor,
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
    building=None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_person=None,
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
    errors = {}
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
        _enter(case, State.REPORTED, at, cal)

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
        _record(
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
    before, before_state = case_snapshot(case), case.state
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
    _record(
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
    _notify_place(case, stored(gettext_noop("A resident's praise: “%(title)s”"), title=case.title))


# --- Moves ---------------------------------------------------------------------------------------


def _my_task(case: Case, user) -> Task | None:
    if user is None:
        return None
    tasks = case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED, TaskState.RETURNED])
    mine = tasks.filter(assignee=user).first()
    if mine is None:
        mine = tasks.filter(team__members=user).first()
    return mine


@transaction.atomic
@memo.steady()
def act(
    *,
    actor,
    case: Case,
    action: str,
    note: str = "",
    reply: str = "",
    assignees=(),
    team: Team | None = None,
    agency: Agency | None = None,
    rating: str = "",
    target: Case | None = None,
    category: Category | None = None,
    kind: str = "",
    amount: Decimal | float | None = None,
    unit: str = LimitUnit.WORKING_DAYS,
    extension: Extension | None = None,
    approve: bool | None = None,
    project_ref: str = "",
    parked_until: datetime.date | None = None,
    at: datetime.datetime | None = None,
) -> Case:
    """Move ``case`` by ``action`` (see ``machine.MOVES``), or refuse with the reason.

    ``note`` is the handling note, for staff only; ``reply``, words written for the resident
    (shown on the tracking page, in Open311 and in the messages to the case's followers)."""
    reply = public_text.clean_reply(reply)
    case = (
        # ``of=("self",)``: PostgreSQL locks no nullable outer join (the level may be empty).
        Case.objects.select_for_update(of=("self",))
        .select_related("grid", "level", "category")
        .get(pk=case.pk)
    )
    task = _my_task(case, actor)
    move = machine.check(case, action, actor, task=task)
    note = (note or "").strip()
    if move.needs_note and not note:
        raise ValidationError({"note": gettext("Write a note")})
    _check_move_input(note=note, project_ref=project_ref, rating=rating, kind=kind, unit=unit)
    at = at or timezone.now()
    cal = WorkCalendar()
    before, before_state = case_snapshot(case), case.state
    before_facts = metrics.facts(case)
    handler = _HANDLERS[action]
    event_data = (
        handler(
            case=case,
            actor=actor,
            task=task,
            note=note,
            at=at,
            cal=cal,
            assignees=assignees,
            team=team,
            agency=agency,
            rating=rating,
            target=target,
            category=category,
            kind=kind,
            amount=amount,
            unit=unit,
            extension=extension,
            approve=approve,
            project_ref=project_ref,
            parked_until=parked_until,
        )
        or {}
    )
    if move.target is not None and case.state == before_state:
        _enter(case, move.target, at, cal)
    case.mark = _mark(case, at)
    case.save()
    _record(
        case,
        action,
        actor=actor,
        at=at,
        before_state=before_state,
        before=before,
        note=note,
        reply=reply,
        task=task,
        data=event_data,
    )
    metrics.apply(before_facts, metrics.facts(case))
    return case


def _check_move_input(*, note, project_ref, rating, kind, unit) -> None:
    """What a move is given, judged before anything is written, whatever the move: text
    within its limits, a choice one of its values."""
    errors = {}
    inputs.check_lengths(errors, CaseEvent, {"note": note})
    inputs.check_lengths(errors, Case, {"project_ref": project_ref})
    inputs.no_nul(errors, {"note": note, "project_ref": project_ref})
    if rating:
        inputs.check_choice(errors, "rating", rating, Rating)
    if kind:
        inputs.check_choice(errors, "kind", kind, Kind)
    inputs.check_choice(errors, "unit", unit, LimitUnit)
    if errors:
        raise ValidationError(errors)


def _accept(case, *, actor, at, cal, dispatch=True, reply=""):
    """Accept (受理) a new case, promise a time, and send it where the rules say (``reply``:
    a first answer to the resident)."""
    before, before_facts = case_snapshot(case), metrics.facts(case)
    case.accepted_at = at
    _promise(case, at, cal, keep=True)
    _enter(case, State.ACCEPTED, at, cal)
    found = route(grid=case.grid, category=case.category, kind=case.kind)
    case.handler = found.user
    case.save()
    _record(
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
        if field.is_relation and getattr(case, field.attname) != value:
            if field.is_cached(moved):
                field.set_cached_value(case, field.get_cached_value(moved))
            elif field.is_cached(case):
                field.delete_cached_value(case)
        setattr(case, field.attname, value)


def _on_accept(*, case, actor, at, cal, **_):
    case.accepted_at = at
    _promise(case, at, cal, keep=True)
    found = route(grid=case.grid, category=case.category, kind=case.kind)
    case.handler = found.user
    return {"suggested": found.user.pk if found.user else None}


def _on_dispatch(*, case, actor, at, assignees, team, note, **_):
    assignees = [user for user in assignees if user is not None]
    if not assignees and team is None:
        found = route(grid=case.grid, category=case.category, kind=case.kind)
        assignees = [found.user] if found.user else []
        team = found.team
    if not assignees and team is None:
        raise ValidationError(
            {"assignees": gettext("Choose the people or the team (no routing rule matches)")}
        )
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    for user in assignees:
        Task.objects.create(case=case, assignee=user, instructions=note, due_at=case.due_at)
    if team is not None:
        Task.objects.create(case=case, team=team, instructions=note, due_at=case.due_at)
    case.handler = assignees[0] if assignees else case.handler
    case.dispatched_at = at
    case.level = case.level if case.state == State.ESCALATED else None
    return {"assignees": [user.pk for user in assignees], "team": team.pk if team else None}


def _on_sign(*, case, task, at, cal, **_):
    if task is not None:
        task.state, task.signed_at = TaskState.SIGNED, at
        task.save(update_fields=["state", "signed_at"])
    case.signed_at = case.signed_at or at
    if case.state == State.DISPATCHED:  # the first party to sign moves the case on
        _enter(case, State.SIGNED, at, cal)


def _on_start(*, case, task, at, cal, **_):
    if task is not None and task.state == TaskState.SIGNED:
        task.state = TaskState.HANDLING
        task.save(update_fields=["state"])
    if case.state == State.SIGNED:
        _enter(case, State.HANDLING, at, cal)


def _on_finish(*, case, task, actor, note, at, cal, **_):
    open_tasks = case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED])
    if task is None:
        # Staff finishing for the assignees: all the open work is done.
        open_tasks.update(state=TaskState.DONE, done_at=at, result=note)
    else:
        task.state, task.done_at, task.result = TaskState.DONE, at, note
        task.save(update_fields=["state", "done_at", "result"])
    if not case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).exists():
        case.done_at = at
        case.signed_at = case.signed_at or at
        _enter(case, State.DONE, at, cal)
        return {"all_done": True}
    return {"all_done": False}


def _on_send_back(*, case, task, **_):
    if task is not None:
        task.state = TaskState.RETURNED
        task.save(update_fields=["state"])


def _on_verify(*, case, at, **_):
    case.verified_at = at


def _on_rework(*, case, **_):
    case.rework_count += 1
    case.done_at = None
    case.tasks.filter(state=TaskState.DONE).update(state=TaskState.HANDLING)


def _reopen(case, *, note, at, cal):
    """Back into the handler's queue with the resident's words. The promise to the resident
    stands (the on-time rate judges it); the work done again gets at least the category's
    handling time from now (``_handling_deadline``)."""
    case.reopen_count += 1
    case.done_at = case.verified_at = case.closed_at = None
    handler = case.handler
    if handler is None or not handler.is_active:
        found = route(grid=case.grid, category=case.category, kind=case.kind)
        handler = found.user
    case.handler = handler
    case.dispatched_at = at
    if handler is not None:
        Task.objects.create(
            case=case, assignee=handler, instructions=note, due_at=_handling_deadline(case, cal)
        )
    _enter(case, State.DISPATCHED, at, cal)


def _on_close(*, case, rating, note, at, cal, **_):
    if rating and rating not in Rating.values:
        raise ValidationError({"rating": gettext("Unknown rating")})
    if rating:
        case.rating, case.rating_comment, case.rated_at = rating, note, at
    if rating == Rating.DISSATISFIED:
        _reopen(case, note=note, at=at, cal=cal)
        return {"rating": rating, "reopened": True}
    case.closed_at = at
    return {"rating": rating}


def _on_rate(*, case, rating, note, at, cal, **_):
    if rating not in Rating.values:
        raise ValidationError(
            {"rating": gettext("Choose satisfied, fairly satisfied or dissatisfied")}
        )
    case.rating, case.rating_comment, case.rated_at = rating, note, at
    if rating == Rating.DISSATISFIED:
        _reopen(case, note=note, at=at, cal=cal)
        return {"rating": rating, "reopened": True}
    if case.state == State.VERIFIED:
        case.closed_at = at
        _enter(case, State.CLOSED, at, cal)
    return {"rating": rating}


def _on_reopen(*, case, note, at, cal, **_):
    _reopen(case, note=note, at=at, cal=cal)


def _on_park(*, case, parked_until, at, **_):
    if parked_until is not None and parked_until < timezone.localdate(at):
        raise ValidationError(
            {
                "parked_until": gettext(
                    "The date to look at it again may not be in the past (today is %(today)s)"
                )
                % {"today": timezone.localdate(at).isoformat()}
            }
        )
    case.parked_until = parked_until
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )


def _on_transfer(*, case, agency, **_):
    if agency is None or not agency.is_active:
        raise ValidationError({"agency": gettext("Choose the agency")})
    case.agency = agency
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    return {"agency": agency.name}


def _on_receipt(*, case, at, **_):
    case.done_at = at
    return {"agency": case.agency.name if case.agency else ""}


def level_above(node: Node) -> Node | None:
    """Grid → community → street: who a case is escalated to (吹哨); none above a street."""
    if node.is_grid:
        return node.community
    if node.kind in COMMUNITY_KINDS:
        return node.street
    return None


def _on_escalate(*, case, **_):
    current = case.level or case.grid
    above = level_above(current)
    if above is None:
        raise Refused(gettext("This is the highest level: there is none above to escalate to"))
    case.level = above
    case.escalations += 1
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    _notify_level(
        case,
        stored(
            gettext_noop("Case %(number)s “%(title)s” was escalated to %(place)s: please decide"),
            number=case.number,
            title=case.title,
            place=above.name,
        ),
    )
    return {"level": above.pk}


def _on_decide(*, case, project_ref, **_):
    if project_ref:
        case.project_ref = project_ref
    return {"project_ref": project_ref}


def _on_merge(*, case, target, at, **_):
    if target is None or target.pk == case.pk:
        raise ValidationError({"target": gettext("Choose the case to merge it into")})
    target = Case.objects.select_for_update().get(pk=target.pk)
    if target.state in FINAL_STATES:
        raise ValidationError(
            {
                "target": gettext("Case %(number)s is “%(state)s”")
                % {"number": target.number, "state": State(target.state).label}
            }
        )
    case.merged_into = target
    for follower in case.followers.all():
        Follower.objects.get_or_create(
            case=target,
            phone_hash=follower.phone_hash,
            user=follower.user,
            defaults={"phone": follower.phone, "via": case},
        )
    CaseEvent.objects.create(
        case=target,
        action="duplicate_merged",
        from_state=target.state,
        to_state=target.state,
        at=at,
        note=stored(
            gettext_noop("Duplicate case %(number)s was merged into this one"), number=case.number
        ),
        public=public_text.shown("duplicate_merged"),
        data={"duplicate": case.pk},
    )
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    return {"into": target.pk}


def _on_void(**_):
    return {}


def _on_solve_now(*, case, actor, at, note, **_):
    case.accepted_at = case.accepted_at or at
    case.handler = case.handler or actor
    # Solved by the worker it was given to: the open work is done, with the same words.
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.DONE, done_at=at, result=note
    )
    case.signed_at = case.signed_at or (at if case.dispatched_at else None)
    case.done_at = case.verified_at = case.closed_at = at
    case.due_at = case.due_at or at
    return {}


def _on_recategorize(*, case, category, kind, at, cal, note, **_):
    if category is None or not category.is_active:
        raise ValidationError({"category": gettext("Choose a category in use")})
    if not category.counts_as_problem:
        raise ValidationError(
            {
                "category": gettext(
                    "“%(name)s” is not a problem to solve: choose the problem's category"
                )
                % {"name": category.name}
            }
        )
    old = case.category
    case.category = category
    case.urgent = category.is_urgent(case.attributes)
    if kind:
        if kind not in Kind.values:
            raise ValidationError({"kind": gettext("Unknown kind of case")})
        case.kind = kind
    if case.accepted_at and case.done_at is None:
        _promise(case, case.accepted_at, cal)
    stage, case.stage = case.stage, ""  # restart the current stage's limit for the new category
    _enter(case, case.state, case.stage_started_at or at, cal)
    found = route(grid=case.grid, category=category, kind=case.kind)
    rerouted = None
    if (
        case.state in (State.DISPATCHED, State.SIGNED, State.HANDLING)
        and found.user
        and (found.user != case.handler)
    ):
        case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
            state=TaskState.CANCELLED
        )
        Task.objects.create(case=case, assignee=found.user, instructions=note, due_at=case.due_at)
        case.handler = found.user
        case.dispatched_at = at
        _enter(case, State.DISPATCHED, at, cal)
        rerouted = found.user.pk
    elif case.state in (State.ACCEPTED, State.RETURNED, State.REPORTED):
        case.handler = found.user
    return {"from": old.pk, "to": category.pk, "stage": stage, "rerouted_to": rerouted}


def _extension_amount(amount) -> Decimal:
    """The time asked for, as its column holds it: more than nothing, at most two decimals
    and four digits before them."""
    try:
        amount = Decimal(str(amount)) if amount is not None else None
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": gettext("Give the time to add")})
    field = Extension._meta.get_field("amount")
    places = field.decimal_places
    if amount.as_tuple().exponent < -places or amount >= 10 ** (field.max_digits - places):
        raise ValidationError(
            {
                "amount": gettext("Give the time as a number below %(n)s, with at most 2 decimals")
                % {"n": 10 ** (field.max_digits - places)}
            }
        )
    return amount


def _check_extension_rule(case, amount, unit, *, at, cal, field="amount") -> None:
    """Extensions of a case together may add at most what its category's rule allows
    (``Stage.EXTENSION``, e.g. 10 working days), counted from the promise before the first
    one. A case decided as a project at a meeting (``decide`` with a project) follows the
    project's plan instead."""
    rule = limit_for(case.category, Stage.EXTENSION)
    if rule is None or case.project_ref:
        return
    first = (
        case.extensions.filter(state=ExtensionState.APPROVED, due_before__isnull=False)
        .order_by("decided_at", "pk")
        .first()
    )
    promised = first.due_before if first is not None else (case.due_at or at)
    if cal.add(case.due_at or at, amount, unit) > cal.add(promised, rule.amount, rule.unit):
        raise ValidationError(
            {
                field: gettext(
                    "More than the category allows: extensions may add at most %(amount)s"
                    " %(unit)s to a case, all together"
                )
                % {"amount": f"{rule.amount.normalize():f}", "unit": LimitUnit(rule.unit).label}
            }
        )


def _on_request_extension(*, case, actor, amount, unit, note, at, cal, **_):
    amount = _extension_amount(amount)
    if case.extensions.filter(state=ExtensionState.PENDING).exists():
        raise ValidationError({"amount": gettext("A request for more time is waiting already")})
    _check_extension_rule(case, amount, unit, at=at, cal=cal)
    extension = Extension.objects.create(
        case=case, requested_by=actor, amount=amount, unit=unit, reason=note
    )
    return {"extension": extension.pk, "amount": str(amount), "unit": unit}


def _on_decide_extension(*, case, actor, extension, approve, note, at, cal, **_):
    if extension is None or extension.case_id != case.pk:
        raise ValidationError({"extension": gettext("There is no such request for more time")})
    if extension.state != ExtensionState.PENDING:
        raise ValidationError({"extension": gettext("The request was decided already")})
    if approve is None:
        raise ValidationError({"approve": gettext("Choose to approve or to refuse")})
    if approve:
        # Judged again: other time may have been added since it was asked for, or the rule
        # changed.
        _check_extension_rule(
            case, extension.amount, extension.unit, at=at, cal=cal, field="extension"
        )
    extension.state = ExtensionState.APPROVED if approve else ExtensionState.REJECTED
    extension.decided_by, extension.decided_at, extension.decision_note = actor, at, note
    if approve:
        extension.due_before = case.due_at
    extension.save()
    if approve:
        base = case.due_at or at
        case.due_at = cal.add(base, extension.amount, extension.unit)
        if case.stage == Stage.HANDLE:
            case.stage_deadline = case.due_at
            case.stage_warn_at = _warn_at(case, Stage.HANDLE, case.stage_started_at or at, cal)
    return {"extension": extension.pk, "approved": bool(approve)}


def _on_comment(**_):
    return {}


_HANDLERS = {
    "accept": _on_accept,
    "dispatch": _on_dispatch,
    "sign": _on_sign,
    "start": _on_start,
    "finish": _on_finish,
    "send_back": _on_send_back,
    "verify": _on_verify,
    "rework": _on_rework,
    "close": _on_close,
    "rate": _on_rate,
    "reopen": _on_reopen,
    "park": _on_park,
    "transfer": _on_transfer,
    "receipt": _on_receipt,
    "escalate": _on_escalate,
    "decide": _on_decide,
    "merge": _on_merge,
    "void": _on_void,
    "solve_now": _on_solve_now,
    "recategorize": _on_recategorize,
    "request_extension": _on_request_extension,
    "decide_extension": _on_decide_extension,
    "comment": _on_comment,
}
assert set(_HANDLERS) == set(machine.MOVES), "every move has its handler"


# --- Calling the reporter back ------------------------------------------------------------------

MAX_PURPOSE = 500


def may_reveal_reporter(user, case: Case) -> bool:
    """Whether ``user`` may see the reporter's full number: who makes the case's callbacks
    (``cases.close_case`` where it lies)."""
    return bool(case.reporter_phone) and allowed(user, Case, "close", path=case.grid.path)


@transaction.atomic
def reveal_reporter(*, actor, case: Case, purpose: str) -> str:
    """The reporter's full phone number, to call them back. The purpose is required and
    audited; who may not make the case's callbacks gets a 404, as for a case out of reach."""
    check_scope(actor, case, "view", path=case.grid.path)
    check_scope(actor, case, "close", path=case.grid.path)
    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        raise ValidationError({"purpose": gettext("Say why you look (at least 4 characters)")})
    if len(purpose) > MAX_PURPOSE:
        raise ValidationError({"purpose": gettext("at most %(n)s characters") % {"n": MAX_PURPOSE}})
    if not case.reporter_phone:
        raise ValidationError({"reporter_phone": gettext("The reporter left no phone number")})
    audit.record(
        actor=actor,
        action="cases.case.revealed",
        target=case,
        node=case.grid,
        after={"field": "reporter_phone"},
        reason=purpose,
    )
    return case.reporter_phone


# --- Residents -----------------------------------------------------------------------------------


def rate_by_tracking_code(*, tracking_code: str, rating: str, comment: str = "") -> Case:
    """A resident rates their case from its tracking page (no sign-in: the code is the key).

    The comment is the resident's own words, kept as the step's note and the case's rating
    comment: staff read it; the page shows it to no one holding the code."""
    case = Case.objects.filter(tracking_code=(tracking_code or "").strip().upper()).first()
    if case is None:
        raise Case.DoesNotExist
    return act(actor=None, case=case, action="rate", rating=rating, note=comment)


# --- The sweep -----------------------------------------------------------------------------------


def _notify_level(case: Case, text: str) -> None:
    from wangge.accounts.choices import Role
    from wangge.accounts.models import Membership

    node = case.level or case.grid
    roles = [Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.STREET_STAFF]
    users = {
        m.user
        for m in Membership.objects.filter(
            node=node, role__in=roles, is_active=True
        ).select_related("user")
    }
    if case.handler is not None:
        users.add(case.handler)
    Notification.objects.bulk_create(
        [Notification(user=user, text=text[:300], url=f"/cases/{case.pk}/") for user in users]
    )


def _notify_place(case: Case, text: str) -> None:
    """Tell the people of the case's grid and community (its workers, leaders and staff)."""
    from wangge.accounts.choices import Role
    from wangge.accounts.models import Membership

    # The grid and the places just above it (a micro-grid's grid, the community).
    places = [case.grid_id, *case.grid.ancestor_ids[-3:]]
    roles = [Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF]
    users = {
        m.user
        for m in Membership.objects.filter(
            node_id__in=places, role__in=roles, is_active=True, user__is_active=True
        ).select_related("user")
    }
    Notification.objects.bulk_create(
        [Notification(user=user, text=text[:300], url=f"/cases/{case.pk}/") for user in users]
    )


@transaction.atomic
def sweep(*, now: datetime.datetime | None = None) -> dict:
    """Mark cases yellow and red, and escalate late ones up the hierarchy (督办).

    A case that goes red is raised to its community, and if it is still red once as long
    again has passed, to its street; the people responsible there, and its handler, are told.
    """
    now = now or timezone.now()
    counts = {"yellow": 0, "red": 0, "escalated": 0}
    candidates = (
        Case.objects.exclude(state__in=[*FINAL_STATES, State.PARKED])
        .filter(stage_warn_at__lte=now, category__counts_as_problem=True)
        .select_related("grid", "level")
    )
    for case in candidates.select_for_update(of=("self",)):
        mark = _mark(case, now)
        if mark == case.mark and mark != Mark.RED:
            continue
        changed = []
        if mark != case.mark:
            case.mark = mark
            changed.append("mark")
            counts["yellow" if mark == Mark.YELLOW else "red"] += 1
        if mark == Mark.RED and _due_for_escalation(case, now):
            before = case_snapshot(case)
            above = level_above(case.level or case.grid)
            if above is not None:
                case.level = above
                case.escalations += 1
                changed += ["level", "escalations"]
                counts["escalated"] += 1
                case.save(update_fields=changed)
                CaseEvent.objects.create(
                    case=case,
                    action="overdue_escalated",
                    from_state=case.state,
                    to_state=case.state,
                    at=now,
                    actor_name="",  # the system
                    note=stored(
                        gettext_noop("Late: raised to %(place)s to be followed up"),
                        place=above.name,
                    ),
                    data={"level": above.pk},
                )
                audit.record(
                    actor=None,
                    action="cases.case.overdue_escalated",
                    target=case,
                    node=case.grid,
                    before=before,
                    after=case_snapshot(case),
                    reason="time limit passed",
                )
                _notify_level(
                    case,
                    stored(
                        gettext_noop("Case %(number)s “%(title)s” is late: please follow it up"),
                        number=case.number,
                        title=case.title,
                    ),
                )
                continue
        if changed:
            case.save(update_fields=changed)
    return counts


def _due_for_escalation(case: Case, now: datetime.datetime) -> bool:
    """Once when the stage goes red; again after as long again as the stage was given."""
    if not case.stage_deadline or not case.stage_started_at:
        return False
    span = case.stage_deadline - case.stage_started_at
    overdue = now - case.stage_deadline
    if case.escalations == 0:
        return True
    return (
        case.escalations == 1
        and overdue >= span
        and case.level is not None
        and (case.level.kind in COMMUNITY_KINDS)
    )
