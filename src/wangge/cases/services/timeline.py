"""The timeline of a case. Every step — intake, a move, a duplicate merged in, a photo, the
sweep's marks and escalations — is written here with what goes with it, in the transaction of
the change it records: the row (``CaseEvent``), its audit event (the case's
``cases.case.<action>`` with the case before and after, or the event of the object the step is
about, such as a photo) and the domain event ``case.changed``, whose handlers (the followers'
messages in ``notices``) write in that transaction too. ``record_step`` writes one;
``record_steps`` writes those ``prepare`` built for many cases at once (the sweep). Lost and
found still writes its own steps (``lostfound._step``) until it leaves cases.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import transaction

from wangge.cases import public_text
from wangge.cases.models import Case, CaseEvent, Task
from wangge.core import audit, events

if TYPE_CHECKING:
    from wangge.accounts.models import User


def case_snapshot(case: Case) -> dict:
    data = audit.snapshot(case)
    for key in ("stage_warn_at", "tracking_code"):
        data.pop(key, None)
    return data


class Step(NamedTuple):
    """A step built but not yet written: its row, its audit event's arguments (taken when it
    was built, so a later change of the case is not in it) and whether followers hear of it."""

    row: CaseEvent
    audited: dict
    tell_followers: bool


def prepare(
    case: Case,
    action: str,
    *,
    actor: User | None,
    at: datetime.datetime,
    before: dict | None,
    before_state: str | None = None,
    note: str = "",
    reply: str = "",
    task: Task | None = None,
    data: dict | None = None,
    public: bool | None = None,
    reason: str = "",
    tell_followers: bool = True,
    audit_as: dict | None = None,
) -> Step:
    """Build a step of ``case`` as it is now: ``note`` for staff, ``reply`` for the resident;
    public as ``public_text.shown`` says unless ``public`` is given (a photo shown or not).

    ``before`` is the case's snapshot before the change (``None`` when the step created it);
    ``before_state`` the state it left (``None``: the state did not move). ``audit_as`` gives
    the audit event's action, target and snapshots when the step records a change of another
    object (a photo's ``cases.photo.added``); otherwise it is the case's. ``tell_followers``
    is false for steps the people following the case never hear of (praise thanked, marks,
    escalations by the sweep, a photo, a duplicate merged in)."""
    row = CaseEvent(
        case=case,
        task=task,
        action=action,
        from_state=case.state if before_state is None else before_state,
        to_state=case.state,
        actor=actor,
        actor_name=actor.label if actor is not None else "",  # the system: shown as such
        at=at,
        note=note,
        reply=reply,
        public=public_text.shown(action, reply) if public is None else public,
        data=data or {},
    )
    audited: dict[str, Any] = {"actor": actor, "node": case.grid}
    if audit_as is not None:
        audited.update(audit_as)
    else:
        audited.update(
            action=f"cases.case.{action}",
            target=case,
            before=before,
            after=case_snapshot(case),
            reason=reason or note[:500],
        )
    return Step(row=row, audited=audited, tell_followers=tell_followers)


def record_step(case: Case, action: str, **options: Any) -> CaseEvent:
    """Write one step of ``case`` (the arguments of ``prepare``), its audit event and
    ``case.changed``; inside the caller's transaction, which the handlers write in too (the
    reporter's SMS of the change goes into the outbox with the change itself)."""
    _in_transaction()
    step = prepare(case, action, **options)
    step.row.save()
    audit.record(**step.audited)
    _emit(step)
    return step.row


def record_steps(steps: list[Step]) -> list[CaseEvent]:
    """Write the steps ``prepare`` built, in their order, with their audit events, in a few
    statements; then ``case.changed`` for each."""
    _in_transaction()
    CaseEvent.objects.bulk_create([step.row for step in steps])
    audit.record_many(audit.event(**step.audited) for step in steps)
    for step in steps:
        _emit(step)
    return [step.row for step in steps]


def _emit(step: Step) -> None:
    events.emit(
        events.CASE_CHANGED,
        case=step.row.case,
        step=step.row,
        tell_followers=step.tell_followers,
    )


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a case's step is written in the transaction of its change")
