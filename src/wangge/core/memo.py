"""Look-ups remembered for the length of one write, or of a bulk of them.

Every move of a case looks up things that change rarely: the category's time limits, the
calendar's overrides, the routing of a grid × category × kind, the grid index and its grids.
A service call (one report, one move) runs in ``steady()``, and so does a writer of many cases
that changes none of them meanwhile (the demo's year of history, an import); inside, each
look-up is made once. Outside a ``steady()`` block nothing is remembered, so an
administrator's edit is seen by the next call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("wangge_cases_memo", default=None)


@contextlib.contextmanager
def steady():
    """Remember look-ups until the block ends (nested blocks share the outer memo)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remember(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` inside a ``steady()`` block; every time outside."""
    memo = _memo.get()
    if memo is None:
        return compute()
    try:
        return memo[key]
    except KeyError:
        value = memo[key] = compute()
        return value


# --- Standards kept by the process ----------------------------------------------------------------

# Rows of these models are standards: edited now and then by an administrator, read by every
# request that files or moves a case. Any write to one of them (through the ORM, the admin or a
# service) gives the ``standards`` counter a new value; each process keeps what it looked up
# until it sees another value. Writes that skip model signals (``QuerySet.update``) must call
# ``standards_changed()`` themselves.
STANDARD_MODELS = {
    "cases.CategoryTree",
    "cases.Category",
    "cases.StageLimit",
    "cases.CalendarDay",
    "cases.RoutingRule",
    "open311.Open311Client",
    "core.Form",
    "core.Question",
    "notices.MessageTemplate",
}
STANDARDS = "standards"
# Versions a service call may check: read together, in one query, once per ``steady()`` block.
WATCHED = ("territory.grids", STANDARDS)
_kept: dict = {"version": None, "values": {}}


def version(name: str) -> int:
    """The value of a counter in ``WATCHED``."""
    return remember(("versions",), _read_versions).get(name, 0)


def _read_versions() -> dict[str, int]:
    from wangge.core.models import Counter

    return dict(Counter.objects.filter(name__in=WATCHED).values_list("name", "value"))


def standards_changed() -> None:
    from wangge.core.services import bump_counter

    bump_counter(STANDARDS)
    _kept["version"] = None


def kept(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()`` once per process until a standard changes; the counter that tells is read
    once per ``steady()`` block (so every time outside one)."""
    current = version(STANDARDS)
    if _kept["version"] != current:
        _kept["version"], _kept["values"] = current, {}
    values = _kept["values"]
    try:
        return values[key]
    except KeyError:
        value = values[key] = compute()
        return value


def _on_write(sender, **kwargs):
    if sender._meta.label in STANDARD_MODELS and not kwargs.get("raw"):
        standards_changed()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_write, dispatch_uid="wangge.memo.standards.save")
    post_delete.connect(_on_write, dispatch_uid="wangge.memo.standards.delete")
