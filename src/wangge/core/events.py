"""Domain events: how an app tells the apps above it what happened without importing them.

The layers (``docs/development/architecture.md``) let an app import only the apps below it. When
something below must set off work above — a case changes and its followers are to hear of it —
the app below *emits* an event and the app above *handles* it::

    # in the emitting service, inside its transaction
    events.emit(events.CASE_CHANGED, case=case, step=step)

    # in the handling app's ``handlers.py``, imported by its ``AppConfig.ready()``
    @events.on(events.CASE_CHANGED)
    def tell_followers(*, case, step, **_):
        ...

Handlers run at once, in the emitting transaction and in the order their apps are installed:
what they write commits or rolls back with the change itself (a message goes into the outbox
with the change it tells of, never without it), and an error in a handler refuses the change.
Work that may take long or fail on its own (sending, generating files) is queued as a job by
the handler, not done in it.

Every event is declared here with its payload, so the list of events is one place (the
development notes print it from ``EVENTS``); emitting or handling an undeclared event, or
emitting without a declared key, is a programming error and raises.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Event:
    """A declared event: its name (``"<app>.<thing>.<what happened>"``), what it means and the
    keys of its payload with what each holds."""

    name: str
    meaning: str
    payload: dict[str, str]


EVENTS: dict[str, Event] = {}
_handlers: dict[str, list[Handler]] = defaultdict(list)


def declare(name: str, meaning: str, **payload: str) -> str:
    """Declare an event (once, at import); returns its name for use as a constant."""
    if name in EVENTS:
        raise ValueError(f"event {name!r} is declared twice")
    EVENTS[name] = Event(name=name, meaning=meaning, payload=payload)
    return name


def on(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of ``name``; it is called with the payload
    as keyword arguments (take ``**_`` so that keys added later do not break it)."""
    _known(name)

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return register


def emit(name: str, **payload: Any) -> None:
    """Call every handler of ``name`` now, in the caller's transaction."""
    event = _known(name)
    missing = set(event.payload) - set(payload)
    unknown = set(payload) - set(event.payload)
    if missing or unknown:
        raise TypeError(
            f"event {name!r}: missing {sorted(missing)}, unknown {sorted(unknown)} in its payload"
        )
    for handler in list(_handlers[name]):
        handler(**payload)


def handlers(name: str) -> list[Handler]:
    """The handlers of ``name``, in the order they run (for tests and the notes)."""
    _known(name)
    return list(_handlers[name])


def _known(name: str) -> Event:
    try:
        return EVENTS[name]
    except KeyError:
        raise LookupError(f"event {name!r} is not declared in wangge.core.events") from None


# --- The events ----------------------------------------------------------------------------------
# Declared where every app can see them; emitted by the app that owns the thing.

CASE_CHANGED = declare(
    "case.changed",
    "A step was added to a case's timeline (created, accepted, dispatched, finished, verified, "
    "closed, reopened, marked, commented…), in the transaction that wrote it.",
    case="the Case, as it is after the step",
    step="the CaseEvent just written (its action, from_state, to_state, reply, public)",
    tell_followers="whether the people following the case are to hear of this step",
)

BUILDINGS_MOVED = declare(
    "territory.buildings.moved",
    "Buildings were put in another grid — a building given a new point, or grid boundaries "
    "redrawn — in the transaction that moved them; what lives in them is to follow.",
    actor="who moved them (None: the system)",
    moves="{building id: the grid (Node) it lies in now}",
    reason="why, as the buildings' own audit events say",
)

PERSONS_CHANGED = declare(
    "people.persons.changed",
    "Persons were registered, or their care tags, grid, household, birth date or status "
    "changed, in the transaction that changed them; what is planned for them is to follow.",
    actor="who changed them (None: the system or an import)",
    person_ids="the ids of the persons",
)

VISITS_RECORDED = declare(
    "people.visits.recorded",
    "Visits to households were recorded, in the transaction that wrote them.",
    actor="who recorded them (None: the system or an import)",
    household_ids="the ids of the households visited",
)
