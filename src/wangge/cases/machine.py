"""The one state machine of a case: which action may move it from which state, and who may.

Every change of state goes through ``services.act``, which asks ``check`` first. A refused
move raises ``Refused`` with the reason in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import Kind, Stage, State, TaskState
from wangge.core.scope import get_scope

S = State


class Refused(Exception):
    """The move is not allowed now; ``str()`` says why."""


@dataclass(frozen=True)
class Move:
    label: object
    sources: frozenset
    target: State | None  # None: the state stays (notes, extensions) or is worked out
    permission: str  # ``cases.<permission>_case`` at the case's place
    needs_note: bool = False
    by_assignee: bool = False  # the task's assignee may do it whatever their role
    # The resident sees the step, in plain words (``public_text.STEP_WORDS``); a step with a
    # reply written for the resident is seen whatever the move. Its note never is.
    public: bool = True


_OPEN_WORK = frozenset({S.DISPATCHED, S.SIGNED, S.HANDLING})

MOVES: dict[str, Move] = {
    "accept": Move(_("Accept"), frozenset({S.REPORTED}), S.ACCEPTED, "accept"),
    "dispatch": Move(
        _("Dispatch"),
        frozenset({S.ACCEPTED, S.RETURNED, S.ESCALATED, S.PARKED}),
        S.DISPATCHED,
        "dispatch",
    ),
    # Each party of a case signs for and starts its own task; the case moves on with the
    # first (``services.moves._on_sign``, ``_on_start``).
    "sign": Move(
        _("Sign for"), frozenset({S.DISPATCHED, *_OPEN_WORK}), None, "handle", by_assignee=True
    ),
    "start": Move(
        _("Start handling"), frozenset({S.SIGNED, S.HANDLING}), None, "handle", by_assignee=True
    ),
    "finish": Move(
        _("Finish"),
        frozenset({S.DISPATCHED, S.SIGNED, S.HANDLING}),
        None,  # DONE once every task is done
        "handle",
        needs_note=True,
        by_assignee=True,
    ),
    "send_back": Move(
        _("Send back"),
        frozenset({S.DISPATCHED, S.SIGNED}),
        S.RETURNED,
        "handle",
        needs_note=True,
        by_assignee=True,
        public=False,
    ),
    "verify": Move(_("Verify"), frozenset({S.DONE}), S.VERIFIED, "verify"),
    "rework": Move(
        _("Send back for rework"), frozenset({S.DONE}), S.HANDLING, "verify", needs_note=True
    ),
    "close": Move(_("Close after callback"), frozenset({S.VERIFIED}), S.CLOSED, "close"),
    # Staff record the resident's answer to a phone callback; the resident rates by the
    # tracking link (``services.rate_by_tracking_code``).
    "rate": Move(_("Record the rating"), frozenset({S.VERIFIED, S.CLOSED}), None, "close"),
    "park": Move(
        _("Park"),
        frozenset({S.ACCEPTED, S.RETURNED, S.ESCALATED, *_OPEN_WORK}),
        S.PARKED,
        "park",
        needs_note=True,
    ),
    # The worker holding the task hands it over where they stand (a man sleeping rough to the
    # aid station); recording the agency's receipt stays with the office.
    "transfer": Move(
        _("Hand to an outside agency"),
        frozenset({S.ACCEPTED, S.RETURNED, S.ESCALATED, *_OPEN_WORK}),
        S.TRANSFERRED,
        "transfer",
        needs_note=True,
        by_assignee=True,
    ),
    "receipt": Move(
        _("Record the agency's receipt"),
        frozenset({S.TRANSFERRED}),
        S.DONE,
        "transfer",
        needs_note=True,
    ),
    "escalate": Move(
        _("Escalate"),
        frozenset({S.ACCEPTED, S.RETURNED, S.PARKED, S.ESCALATED, *_OPEN_WORK}),
        S.ESCALATED,
        "escalate",
        needs_note=True,
        by_assignee=True,
    ),
    "decide": Move(
        _("Record a decision"),
        frozenset({S.ESCALATED}),
        None,
        "dispatch",
        needs_note=True,
    ),
    "merge": Move(
        _("Merge into another case"),
        frozenset({S.REPORTED, S.ACCEPTED, S.RETURNED, S.PARKED, S.ESCALATED, *_OPEN_WORK}),
        S.MERGED,
        "merge",
    ),
    "void": Move(
        _("Void"),
        frozenset({S.REPORTED, S.ACCEPTED, S.RETURNED}),
        S.VOID,
        "void",
        needs_note=True,
        public=False,
    ),
    # An instant case (即办件) is closed by whoever solves it where it is: as it is reported,
    # or by the worker it was given to (their task is then done with the same words).
    "solve_now": Move(
        _("Solve on the spot"),
        frozenset({S.REPORTED, S.ACCEPTED, *_OPEN_WORK}),
        S.CLOSED,
        "handle",
        needs_note=True,
        by_assignee=True,
    ),
    "reopen": Move(
        _("Reopen"), frozenset({S.VERIFIED, S.CLOSED}), S.DISPATCHED, "close", needs_note=True
    ),
    "recategorize": Move(
        _("Change the category"),
        frozenset({S.REPORTED, S.ACCEPTED, S.RETURNED, S.ESCALATED, *_OPEN_WORK}),
        None,
        "change",
    ),
    "request_extension": Move(
        _("Ask for more time"),
        frozenset(_OPEN_WORK | {S.TRANSFERRED}),
        None,
        "handle",
        needs_note=True,
        by_assignee=True,
        public=False,
    ),
    "decide_extension": Move(
        _("Decide on more time"),
        frozenset(_OPEN_WORK | {S.TRANSFERRED}),
        None,
        "approve",
        public=False,
    ),
    "comment": Move(
        _("Add a note"), frozenset(State.values), None, "handle", by_assignee=True, public=False
    ),
}

# Which time limit runs in which state (none in the others); looked up by a case's state as
# stored, a plain string.
STAGE_OF: dict[str, Stage] = {
    S.REPORTED: Stage.ACCEPT,
    S.ACCEPTED: Stage.DISPATCH,
    S.RETURNED: Stage.DISPATCH,
    # The level above decides and sends the work on; the promise to the resident stands.
    S.ESCALATED: Stage.HANDLE,
    S.DISPATCHED: Stage.SIGN,
    S.SIGNED: Stage.HANDLE,
    S.HANDLING: Stage.HANDLE,
    S.TRANSFERRED: Stage.HANDLE,
    S.DONE: Stage.VERIFY,
    S.VERIFIED: Stage.CALLBACK,
}


def permission(action: str) -> str:
    return f"cases.{MOVES[action].permission}_case"


def check(case, action: str, user, *, task=None) -> Move:
    """The move, if ``user`` may do ``action`` to ``case`` now; ``Refused`` with why if not.

    ``user=None`` is the system. Scope is checked by the caller (a case outside it is a 404
    before any move is considered).
    """
    move = MOVES.get(action)
    if move is None:
        raise Refused(gettext("There is no action “%(action)s”") % {"action": action})
    if case.state not in move.sources:
        only = pgettext("list separator", ", ").join(
            str(State(s).label) for s in sorted(move.sources)
        )
        raise Refused(
            gettext(
                "The case is “%(state)s”: it cannot be given “%(action)s” (only when: %(only)s)"
            )
            % {"state": State(case.state).label, "action": move.label, "only": only}
        )
    if action != "comment" and not case.category.counts_as_problem:
        raise Refused(
            gettext("“%(category)s” is not a problem to solve: it was thanked and closed")
            % {"category": case.category.name}
        )
    if action == "solve_now" and case.kind != Kind.INSTANT:
        raise Refused(gettext("Only an instant case can be solved on the spot"))
    # Once the case has moved on, signing and starting are each party's own task's steps.
    own = {"sign": (S.DISPATCHED, TaskState.DISPATCHED), "start": (S.SIGNED, TaskState.SIGNED)}
    if (
        action in own
        and case.state != own[action][0]
        and (task is None or task.state != own[action][1])
    ):
        raise Refused(
            gettext("The case is “%(state)s”: you have no task waiting for “%(action)s”")
            % {"state": State(case.state).label, "action": move.label}
        )
    if user is None or may(user, case, action, task=task):
        return move
    raise Refused(gettext("You may not “%(action)s” here") % {"action": move.label})


def may(user, case, action: str, *, task=None) -> bool:
    """Whether ``user``'s role allows ``action`` where the case lies (or holds it)."""
    move = MOVES[action]
    if move.by_assignee and task is not None and _assigned(user, task):
        return True
    scope = get_scope(user)
    perm = permission(action)
    paths = [case.grid.path]
    if case.level_id:
        paths.append(case.level.path)
    return any(scope.allows(perm, path) for path in paths)


def _assigned(user, task) -> bool:
    if task.assignee_id == user.pk:
        return True
    return bool(task.team_id) and task.team.members.filter(pk=user.pk).exists()


def available(case, user, *, task=None) -> list[str]:
    """The actions ``user`` could take on ``case`` now (for pages: show only these)."""
    result = []
    for action in MOVES:
        try:
            check(case, action, user, task=task)
        except Refused:
            continue
        result.append(action)
    return result
