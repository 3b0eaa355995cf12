"""Time limits: the limit each stage runs to, the promise to the resident, extensions of it,
and the sweep that marks cases yellow and red and escalates late ones."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from wangge.cases import machine
from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import FINAL_STATES, ExtensionState, LimitUnit, Mark, Stage, State
from wangge.cases.limits import limit_for
from wangge.cases.models import Case, Extension
from wangge.cases.services import timeline
from wangge.cases.services.staff import level_above, notify_level
from wangge.core.errors import ValidationError
from wangge.core.words import stored
from wangge.territory.choices import COMMUNITY_KINDS

if TYPE_CHECKING:
    from wangge.accounts.models import User


def enter(case: Case, state: str, at: datetime.datetime, cal: WorkCalendar) -> None:
    """Put the case in ``state`` and start the time limit of the stage that state is in."""
    case.state = state
    stage = machine.STAGE_OF.get(state, "")
    if stage != case.stage or state in (State.DISPATCHED, State.REPORTED):
        case.stage = stage
        case.stage_started_at = at if stage else None
        case.stage_deadline = case.stage_warn_at = None
        if stage == Stage.HANDLE and case.due_at:
            # Handling runs to the promised time (moved only by an approved extension).
            case.stage_deadline = handling_deadline(case, cal)
            case.stage_warn_at = warn_at(case, stage, at, cal)
        elif stage:
            limit = limit_for(case.category, stage, urgent=case.urgent)
            if limit is not None:
                case.stage_deadline = cal.add(at, limit.amount, limit.unit)
                case.stage_warn_at = cal.add(at, limit.amount * limit.warn_ratio, limit.unit)
    case.mark = mark_of(case, at)


def handling_deadline(case: Case, cal: WorkCalendar) -> datetime.datetime | None:
    """The promised time; after a reopening, no sooner than the category's handling time
    from the reopening (the case's last dispatch), so work done again is not born late."""
    deadline = case.due_at
    if case.reopen_count and case.dispatched_at and deadline is not None:
        limit = limit_for(case.category, Stage.HANDLE, urgent=case.urgent)
        if limit is not None:
            deadline = max(deadline, cal.add(case.dispatched_at, limit.amount, limit.unit))
    return deadline


def warn_at(
    case: Case, stage: str, start: datetime.datetime, cal: WorkCalendar
) -> datetime.datetime | None:
    limit = limit_for(case.category, stage, urgent=case.urgent)
    if limit is None or not case.stage_deadline:
        return None
    span = cal.working_seconds_between(start, case.stage_deadline)
    return cal.add_working_seconds(start, span * float(limit.warn_ratio))


def promise(case: Case, at: datetime.datetime, cal: WorkCalendar, *, keep: bool = False) -> None:
    """The promised completion time, set when the case is accepted — unless the case came with
    one (``keep``: a hotline work order carries the limit the hotline gave it)."""
    if keep and case.due_at is not None:
        return
    limit = limit_for(case.category, Stage.HANDLE, urgent=case.urgent)
    case.due_at = cal.add(at, limit.amount, limit.unit) if limit else None


def mark_of(case: Case, now: datetime.datetime) -> str:
    if case.state in FINAL_STATES or case.state == State.PARKED or not case.stage_deadline:
        return Mark.ON_TIME
    if now >= case.stage_deadline:
        return Mark.RED
    if case.stage_warn_at and now >= case.stage_warn_at:
        return Mark.YELLOW
    return Mark.ON_TIME


# --- Extensions ----------------------------------------------------------------------------------


def _extension_amount(amount: Decimal | float | None) -> Decimal:
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
    # Finite (checked above): its exponent is a number, not "n", "N" or "F".
    exponent = cast(int, amount.as_tuple().exponent)
    if exponent < -places or amount >= 10 ** (field.max_digits - places):
        raise ValidationError(
            {
                "amount": gettext("Give the time as a number below %(n)s, with at most 2 decimals")
                % {"n": 10 ** (field.max_digits - places)}
            }
        )
    return amount


def _check_extension_rule(
    case: Case,
    amount: Decimal,
    unit: str,
    *,
    at: datetime.datetime,
    cal: WorkCalendar,
    field: str = "amount",
) -> None:
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
    # The promise before the first approved extension (``due_before``: set on each one found),
    # or the current one.
    promised = first.due_before if first is not None and first.due_before else (case.due_at or at)
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


def on_request_extension(
    *,
    case: Case,
    actor: User | None,
    amount: Decimal | float | None,
    unit: str,
    note: str,
    at: datetime.datetime,
    cal: WorkCalendar,
    **_: Any,
) -> dict:
    """The move ``request_extension``."""
    amount = _extension_amount(amount)
    if case.extensions.filter(state=ExtensionState.PENDING).exists():
        raise ValidationError({"amount": gettext("A request for more time is waiting already")})
    _check_extension_rule(case, amount, unit, at=at, cal=cal)
    extension = Extension.objects.create(
        case=case, requested_by=actor, amount=amount, unit=unit, reason=note
    )
    return {"extension": extension.pk, "amount": str(amount), "unit": unit}


def on_decide_extension(
    *,
    case: Case,
    actor: User | None,
    extension: Extension | None,
    approve: bool | None,
    note: str,
    at: datetime.datetime,
    cal: WorkCalendar,
    **_: Any,
) -> dict:
    """The move ``decide_extension``: an approved extension moves the promise and, while the
    case is being handled, the stage's deadline."""
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
            case.stage_warn_at = warn_at(case, Stage.HANDLE, case.stage_started_at or at, cal)
    return {"extension": extension.pk, "approved": bool(approve)}


# --- The sweep -----------------------------------------------------------------------------------

# Why the system marked a case, in its audit event.
MARK_REASONS: dict[str, str] = {Mark.YELLOW: "time limit near", Mark.RED: "time limit passed"}


@transaction.atomic
def sweep(*, now: datetime.datetime | None = None) -> dict:
    """Mark cases yellow and red, and escalate late ones up the hierarchy (督办).

    Each new mark is a step of the case's timeline by the system (``marked_yellow``,
    ``marked_red``) with its audit event: internal, so the tracking page, Open311 and the
    followers' messages know nothing of it. A case that goes red is raised to its community,
    and if it is still red once as long again has passed, to its street; the people
    responsible there, and its handler, are told. The steps of one sweep are written
    together at its end (after a pause a sweep may mark thousands of cases).
    """
    now = now or timezone.now()
    counts = {"yellow": 0, "red": 0, "escalated": 0}
    steps = []
    candidates = (
        Case.objects.exclude(state__in=[*FINAL_STATES, State.PARKED])
        .filter(stage_warn_at__lte=now, category__counts_as_problem=True)
        .select_related("grid", "level")
    )
    for case in candidates.select_for_update(of=("self",)):
        mark = mark_of(case, now)
        if mark == case.mark and mark != Mark.RED:
            continue
        changed = []
        if mark != case.mark:
            before = timeline.case_snapshot(case)
            case.mark = mark
            changed.append("mark")
            counts["yellow" if mark == Mark.YELLOW else "red"] += 1
            steps.append(
                timeline.prepare(
                    case,
                    f"marked_{mark}",
                    actor=None,
                    at=now,
                    before=before,
                    data={"deadline": case.stage_deadline.isoformat()},
                    reason=MARK_REASONS[mark],
                    tell_followers=False,
                )
            )
        if mark == Mark.RED and _due_for_escalation(case, now):
            before = timeline.case_snapshot(case)
            above = level_above(case.level or case.grid)
            if above is not None:
                case.level = above
                case.escalations += 1
                changed += ["level", "escalations"]
                counts["escalated"] += 1
                steps.append(
                    timeline.prepare(
                        case,
                        "overdue_escalated",
                        actor=None,
                        at=now,
                        before=before,
                        note=stored(
                            gettext_noop("Late: raised to %(place)s to be followed up"),
                            place=above.name,
                        ),
                        data={"level": above.pk},
                        reason="time limit passed",
                        tell_followers=False,
                    )
                )
                notify_level(
                    case,
                    stored(
                        gettext_noop("Case %(number)s “%(title)s” is late: please follow it up"),
                        number=case.number,
                        title=case.title,
                    ),
                )
        if changed:
            case.save(update_fields=changed)
    timeline.record_steps(steps)
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
