"""What the apps above cases show on a case's console page about it (a dispute mediated from
it, …): cases cannot import them, so each registers a function here when it is ready."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class Related(NamedTuple):
    """One line on the case's page: what it is, the words of its link, where it leads."""

    label: str
    text: str
    url: str


_SOURCES: list[Callable[[Any, Any], list[Related]]] = []


def register(source: Callable[[Any, Any], list[Related]]) -> Callable:
    """``source(user, case)`` → the lines to show (already limited to what ``user`` sees)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def related(user, case) -> list[Related]:
    return [line for source in _SOURCES for line in source(user, case)]
