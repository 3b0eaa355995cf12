"""Look-ups remembered for the length of a bulk write.

Every move of a case looks up standards that change rarely: the category's time limits, the
calendar's overrides, the routing of a grid × category × kind. A writer of many cases that
changes none of them meanwhile (the demo's year of history, an import) wraps its work in
``steady()``; inside, each look-up is made once. Outside a ``steady()`` block nothing is
remembered, so an administrator's edit is seen at once.
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
