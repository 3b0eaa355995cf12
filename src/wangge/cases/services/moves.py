"""The moves of the loop: ``act`` locks a case, asks the state machine, runs the move's
handler, starts the time limit of the stage the case is in and writes the step; a resident's
rating by tracking code is a move too."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from wangge.cases import machine, metrics, public_text
from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import FINAL_STATES, Kind, LimitUnit, Rating, State, TaskState
from wangge.cases.machine import Refused
from wangge.cases.models import (
    Agency,
    Case,
    CaseEvent,
    Category,
    Extension,
    Follower,
    Task,
    Team,
)
from wangge.cases.routing import route
from wangge.cases.services import deadlines, timeline
from wangge.cases.services.staff import level_above, notify_level
from wangge.core import inputs, memo
from wangge.core.errors import ValidationError
from wangge.core.words import stored

if TYPE_CHECKING:
    from wangge.accounts.models import User


def _my_task(case: Case, user: User | None) -> Task | None:
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
    actor: User | None,
    case: Case,
    action: str,
    note: str = "",
    reply: str = "",
    assignees: Iterable[User | None] = (),
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
    before, before_state = timeline.case_snapshot(case), case.state
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
        deadlines.enter(case, move.target, at, cal)
    case.mark = deadlines.mark_of(case, at)
    case.save()
    timeline.record_step(
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


def _check_move_input(*, note: str, project_ref: str, rating: str, kind: str, unit: str) -> None:
    """What a move is given, judged before anything is written, whatever the move: text
    within its limits, a choice one of its values."""
    errors: dict[str, str] = {}
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


def _on_accept(
    *, case: Case, actor: User | None, at: datetime.datetime, cal: WorkCalendar, **_: Any
) -> dict:
    case.accepted_at = at
    deadlines.promise(case, at, cal, keep=True)
    found = route(grid=case.grid, category=case.category, kind=case.kind)
    case.handler = found.user
    return {"suggested": found.user.pk if found.user else None}


def _on_dispatch(
    *,
    case: Case,
    actor: User | None,
    at: datetime.datetime,
    assignees: Iterable[User | None],
    team: Team | None,
    note: str,
    **_: Any,
) -> dict:
    people = [user for user in assignees if user is not None]
    if not people and team is None:
        found = route(grid=case.grid, category=case.category, kind=case.kind)
        people = [found.user] if found.user else []
        team = found.team
    if not people and team is None:
        raise ValidationError(
            {"assignees": gettext("Choose the people or the team (no routing rule matches)")}
        )
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    for user in people:
        Task.objects.create(case=case, assignee=user, instructions=note, due_at=case.due_at)
    if team is not None:
        Task.objects.create(case=case, team=team, instructions=note, due_at=case.due_at)
    case.handler = people[0] if people else case.handler
    case.dispatched_at = at
    case.level = case.level if case.state == State.ESCALATED else None
    return {"assignees": [user.pk for user in people], "team": team.pk if team else None}


def _on_sign(
    *, case: Case, task: Task | None, at: datetime.datetime, cal: WorkCalendar, **_: Any
) -> None:
    if task is not None:
        task.state, task.signed_at = TaskState.SIGNED, at
        task.save(update_fields=["state", "signed_at"])
    case.signed_at = case.signed_at or at
    if case.state == State.DISPATCHED:  # the first party to sign moves the case on
        deadlines.enter(case, State.SIGNED, at, cal)


def _on_start(
    *, case: Case, task: Task | None, at: datetime.datetime, cal: WorkCalendar, **_: Any
) -> None:
    if task is not None and task.state == TaskState.SIGNED:
        task.state = TaskState.HANDLING
        task.save(update_fields=["state"])
    if case.state == State.SIGNED:
        deadlines.enter(case, State.HANDLING, at, cal)


def _on_finish(
    *,
    case: Case,
    task: Task | None,
    actor: User | None,
    note: str,
    at: datetime.datetime,
    cal: WorkCalendar,
    **_: Any,
) -> dict:
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
        deadlines.enter(case, State.DONE, at, cal)
        return {"all_done": True}
    return {"all_done": False}


def _on_send_back(*, case: Case, task: Task | None, **_: Any) -> None:
    if task is not None:
        task.state = TaskState.RETURNED
        task.save(update_fields=["state"])


def _on_verify(*, case: Case, at: datetime.datetime, **_: Any) -> None:
    case.verified_at = at


def _on_rework(*, case: Case, **_: Any) -> None:
    case.rework_count += 1
    case.done_at = None
    case.tasks.filter(state=TaskState.DONE).update(state=TaskState.HANDLING)


def _reopen(case: Case, *, note: str, at: datetime.datetime, cal: WorkCalendar) -> None:
    """Back into the handler's queue with the resident's words. The promise to the resident
    stands (the on-time rate judges it); the work done again gets at least the category's
    handling time from now (``deadlines.handling_deadline``)."""
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
            case=case,
            assignee=handler,
            instructions=note,
            due_at=deadlines.handling_deadline(case, cal),
        )
    deadlines.enter(case, State.DISPATCHED, at, cal)


def _on_close(
    *, case: Case, rating: str, note: str, at: datetime.datetime, cal: WorkCalendar, **_: Any
) -> dict:
    if rating and rating not in Rating.values:
        raise ValidationError({"rating": gettext("Unknown rating")})
    if rating:
        case.rating, case.rating_comment, case.rated_at = rating, note, at
    if rating == Rating.DISSATISFIED:
        _reopen(case, note=note, at=at, cal=cal)
        return {"rating": rating, "reopened": True}
    case.closed_at = at
    return {"rating": rating}


def _on_rate(
    *, case: Case, rating: str, note: str, at: datetime.datetime, cal: WorkCalendar, **_: Any
) -> dict:
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
        deadlines.enter(case, State.CLOSED, at, cal)
    return {"rating": rating}


def _on_reopen(
    *, case: Case, note: str, at: datetime.datetime, cal: WorkCalendar, **_: Any
) -> None:
    _reopen(case, note=note, at=at, cal=cal)


def _on_park(
    *, case: Case, parked_until: datetime.date | None, at: datetime.datetime, **_: Any
) -> None:
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


def _on_transfer(*, case: Case, agency: Agency | None, **_: Any) -> dict:
    if agency is None or not agency.is_active:
        raise ValidationError({"agency": gettext("Choose the agency")})
    case.agency = agency
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    return {"agency": agency.name}


def _on_receipt(*, case: Case, at: datetime.datetime, **_: Any) -> dict:
    case.done_at = at
    return {"agency": case.agency.name if case.agency else ""}


def _on_escalate(*, case: Case, **_: Any) -> dict:
    current = case.level or case.grid
    above = level_above(current)
    if above is None:
        raise Refused(gettext("This is the highest level: there is none above to escalate to"))
    case.level = above
    case.escalations += 1
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    notify_level(
        case,
        stored(
            gettext_noop("Case %(number)s “%(title)s” was escalated to %(place)s: please decide"),
            number=case.number,
            title=case.title,
            place=above.name,
        ),
    )
    return {"level": above.pk}


def _on_decide(*, case: Case, project_ref: str, **_: Any) -> dict:
    if project_ref:
        case.project_ref = project_ref
    return {"project_ref": project_ref}


def _on_merge(*, case: Case, target: Case | None, at: datetime.datetime, **_: Any) -> dict:
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
    # A step on the case it joins, by the system; its followers hear nothing of it.
    timeline.record_step(
        target,
        "duplicate_merged",
        actor=None,
        at=at,
        before=timeline.case_snapshot(target),
        note=stored(
            gettext_noop("Duplicate case %(number)s was merged into this one"), number=case.number
        ),
        data={"duplicate": case.pk},
        tell_followers=False,
    )
    case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).update(
        state=TaskState.CANCELLED
    )
    return {"into": target.pk}


def _on_void(**_: Any) -> dict:
    return {}


def _on_solve_now(
    *, case: Case, actor: User | None, at: datetime.datetime, note: str, **_: Any
) -> dict:
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


def _on_recategorize(
    *,
    case: Case,
    category: Category | None,
    kind: str,
    at: datetime.datetime,
    cal: WorkCalendar,
    note: str,
    **_: Any,
) -> dict:
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
        deadlines.promise(case, case.accepted_at, cal)
    stage, case.stage = case.stage, ""  # restart the current stage's limit for the new category
    deadlines.enter(case, case.state, case.stage_started_at or at, cal)
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
        deadlines.enter(case, State.DISPATCHED, at, cal)
        rerouted = found.user.pk
    elif case.state in (State.ACCEPTED, State.RETURNED, State.REPORTED):
        case.handler = found.user
    return {"from": old.pk, "to": category.pk, "stage": stage, "rerouted_to": rerouted}


def _on_comment(**_: Any) -> dict:
    return {}


# Each takes what ``act`` is given, by keyword, and gives the step's data (or nothing).
_HANDLERS: dict[str, Callable[..., dict | None]] = {
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
    "request_extension": deadlines.on_request_extension,
    "decide_extension": deadlines.on_decide_extension,
    "comment": _on_comment,
}
assert set(_HANDLERS) == set(machine.MOVES), "every move has its handler"


# --- Residents -----------------------------------------------------------------------------------


def rate_by_tracking_code(*, tracking_code: str, rating: str, comment: str = "") -> Case:
    """A resident rates their case from its tracking page (no sign-in: the code is the key).

    The comment is the resident's own words, kept as the step's note and the case's rating
    comment: staff read it; the page shows it to no one holding the code."""
    case = Case.objects.filter(tracking_code=(tracking_code or "").strip().upper()).first()
    if case is None:
        raise Case.DoesNotExist
    return act(actor=None, case=case, action="rate", rating=rating, note=comment)
