"""The three rates of 接诉即办 and their companions, from maintained roll-ups.

Each case contributes counts ("facts") to one row of each roll-up: ``CaseRollup`` by month of
receipt, grid, category and handler, and ``GridRollup`` by month and grid alone; and its
receipt to one row of ``ChannelRollup``, by month, grid and channel. Every service that
changes a case moves its facts from the old rows to the new (``apply``), inside the same
transaction, so the roll-ups are always exact: a street's year sums at most its grids × 12
rows of ``GridRollup``, or a few thousand of ``CaseRollup`` when a category or a handler is
asked for. ``rebuild`` recomputes them all from the cases.

Definitions (each rate is shown with its denominator):

- 响应率 responded in time: accepted before the acceptance limit, of cases received;
- 按期办结率 finished on time: finished before the promised time, of cases finished;
- 解决率 solved: closed and not rated 不满意, of cases closed;
- 满意率 satisfied: rated 满意 or 基本满意, of cases rated;
- 返工率 rework: finished cases that were sent back for rework or reopened at least once;
- average handling time: from acceptance to the last finish.

Merged and void cases count nowhere: a merged case's resident follows the original. Nor do
cases of a category that is not a problem to solve (``Category.counts_as_problem``: praise and
thanks): they are in no roll-up, so in no rate, count or ranking.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from wangge.cases.choices import Rating, State
from wangge.cases.models import Case, CaseRollup, Category, ChannelRollup, GridRollup
from wangge.core.errors import ValidationError
from wangge.core.memo import kept
from wangge.core.scope import get_scope, subtree_q
from wangge.territory.models import Node

COUNTS = [
    "received",
    "responded",
    "responded_in_time",
    "done",
    "done_in_time",
    "closed",
    "solved",
    "rated",
    "satisfied",
    "reworked",
    "handling_seconds",
]
KEY = ["month", "grid_id", "category_id", "handler_id"]
GRID_KEY = ["month", "grid_id"]
CHANNEL_KEY = ["month", "grid_id", "channel"]


@dataclass(frozen=True)
class Facts:
    key: tuple
    counts: tuple
    channel: str = ""


def month_of(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date().replace(day=1)


def counts_as_problem(case: Case) -> bool:
    """Whether the case's category is a problem to solve (praise is not): from the category
    at hand, or the category's row, kept until a standard changes."""
    if Case._meta.get_field("category").is_cached(case):
        return case.category.counts_as_problem
    return kept(
        ("counts_as_problem", case.category_id),
        lambda: (
            Category.objects.filter(pk=case.category_id)
            .values_list("counts_as_problem", flat=True)
            .first()
            is not False
        ),
    )


def facts(case: Case) -> Facts | None:
    """What ``case`` adds to the roll-ups as it stands (``None`` for merged and void cases and
    for those that are no problem to solve)."""
    if case.state in (State.MERGED, State.VOID) or not counts_as_problem(case):
        return None
    key = (month_of(case.created_at), case.grid_id, case.category_id, case.handler_id or 0)
    responded = case.accepted_at is not None
    done = case.done_at is not None
    closed = case.state == State.CLOSED
    rated = bool(case.rating)
    counts = (
        1,
        int(responded),
        int(responded and (case.respond_by is None or case.accepted_at <= case.respond_by)),
        int(done),
        int(done and (case.due_at is None or case.done_at <= case.due_at)),
        int(closed),
        int(closed and case.rating != Rating.DISSATISFIED),
        int(rated),
        int(case.rating in (Rating.SATISFIED, Rating.FAIRLY)),
        int(done and (case.rework_count + case.reopen_count) > 0),
        int((case.done_at - case.accepted_at).total_seconds())
        if done and case.accepted_at and case.done_at >= case.accepted_at
        else 0,
    )
    return Facts(key, counts, case.channel)


def apply(before: Facts | None, after: Facts | None) -> None:
    """Move a case's contribution from ``before`` to ``after`` (same transaction)."""
    if before == after:
        return
    # One batch: the rows both touch (the grid's month when only the handler changed, the
    # channel's when only a count did) are written once, with the difference, or not at all.
    with batched():
        if before is not None:
            _add(before.key, [-value for value in before.counts], before.channel)
        if after is not None:
            _add(after.key, list(after.counts), after.channel)


def _upsert(model, key_names: list[str], counts: list[str] = COUNTS) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join([*key_names, *counts])
    marks = ", ".join(["%s"] * (len(key_names) + len(counts)))
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in counts)
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(key_names)}) DO UPDATE SET {updates}"
    )


class _Pending:
    """Deltas summed in memory, written as one upsert per row when the batch ends."""

    def __init__(self):
        self.cases: dict[tuple, list[int]] = {}
        self.grids: dict[tuple, list[int]] = {}
        self.channels: dict[tuple, int] = {}

    def add(self, key: tuple, deltas: list[int], channel: str) -> None:
        for table, row_key in ((self.cases, key), (self.grids, key[:2])):
            row = table.setdefault(row_key, [0] * len(COUNTS))
            for index, delta in enumerate(deltas):
                row[index] += delta
        if deltas[0]:
            self.channels[(*key[:2], channel)] = (
                self.channels.get((*key[:2], channel), 0) + deltas[0]
            )

    def write(self) -> None:
        with connection.cursor() as cursor:
            for model, names, table in (
                (CaseRollup, KEY, self.cases),
                (GridRollup, GRID_KEY, self.grids),
            ):
                for key, deltas in table.items():
                    if any(deltas):
                        cursor.execute(_upsert(model, names), [*key, *deltas])
            sql = _upsert(ChannelRollup, CHANNEL_KEY, ["received"])
            for key, delta in self.channels.items():
                if delta:
                    cursor.execute(sql, [*key, delta])


_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar(
    "rollup_pending", default=None
)


@contextlib.contextmanager
def batched():
    """Sum the roll-up moves of several steps (a case reported, accepted and dispatched in one
    go moves its facts twice) and write each row once at the end, inside the caller's
    transaction. Nested, the outer batch writes. Nothing is written if the block fails."""
    if _pending.get() is not None:
        yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    pending.write()


def _add(key: tuple, deltas: list[int], channel: str) -> None:
    pending = _pending.get()
    if pending is not None:
        pending.add(key, deltas, channel)
        return
    with connection.cursor() as cursor:
        cursor.execute(_upsert(CaseRollup, KEY), [*key, *deltas])
        cursor.execute(_upsert(GridRollup, GRID_KEY), [*key[:2], *deltas])
        if deltas[0]:  # only receipts are counted by channel; most moves leave them be
            sql = _upsert(ChannelRollup, CHANNEL_KEY, ["received"])
            cursor.execute(sql, [*key[:2], channel, deltas[0]])


def rebuild() -> int:
    """Recompute every roll-up row from the cases (after an import of history, or to check)."""
    CaseRollup.objects.all().delete()
    GridRollup.objects.all().delete()
    ChannelRollup.objects.all().delete()
    totals: dict[tuple, list[int]] = {}
    received: dict[tuple, int] = {}
    problems = Case.objects.filter(category__counts_as_problem=True)
    for case in (
        problems.select_related("category")
        .only(
            "category__counts_as_problem",
            "state",
            "created_at",
            "grid_id",
            "category_id",
            "handler_id",
            "channel",
            "accepted_at",
            "respond_by",
            "done_at",
            "due_at",
            "rating",
            "rework_count",
            "reopen_count",
        )
        .iterator(chunk_size=5000)
    ):
        fact = facts(case)
        if fact is None:
            continue
        row = totals.setdefault(fact.key, [0] * len(COUNTS))
        for index, value in enumerate(fact.counts):
            row[index] += value
        place = (*fact.key[:2], fact.channel)
        received[place] = received.get(place, 0) + fact.counts[0]
    CaseRollup.objects.bulk_create(
        [
            CaseRollup(**dict(zip(KEY, key, strict=True)), **dict(zip(COUNTS, counts, strict=True)))
            for key, counts in totals.items()
        ],
        batch_size=2000,
    )
    per_grid: dict[tuple, list[int]] = {}
    for key, counts in totals.items():
        row = per_grid.setdefault(key[:2], [0] * len(COUNTS))
        for index, value in enumerate(counts):
            row[index] += value
    GridRollup.objects.bulk_create(
        [
            GridRollup(
                **dict(zip(GRID_KEY, key, strict=True)), **dict(zip(COUNTS, counts, strict=True))
            )
            for key, counts in per_grid.items()
        ],
        batch_size=2000,
    )
    ChannelRollup.objects.bulk_create(
        [
            ChannelRollup(**dict(zip(CHANNEL_KEY, key, strict=True)), received=count)
            for key, count in received.items()
        ],
        batch_size=2000,
    )
    return len(totals)


# --- Reading the rates ------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarize(counts: dict) -> dict:
    """Counts → rates, each rate beside the count it is a share of."""
    done = counts.get("done") or 0
    return {
        **{name: counts.get(name) or 0 for name in COUNTS if name != "handling_seconds"},
        "response_rate": _rate(counts.get("responded_in_time") or 0, counts.get("received") or 0),
        "on_time_rate": _rate(counts.get("done_in_time") or 0, done),
        "solve_rate": _rate(counts.get("solved") or 0, counts.get("closed") or 0),
        "satisfaction_rate": _rate(counts.get("satisfied") or 0, counts.get("rated") or 0),
        "rework_rate": _rate(counts.get("reworked") or 0, done),
        "average_handling_hours": round((counts.get("handling_seconds") or 0) / done / 3600, 2)
        if done
        else None,
    }


def sums() -> dict:
    """The aggregates that sum every count of a roll-up (for ``values(...).annotate``)."""
    return {name: Sum(name) for name in COUNTS}


def totals(rows) -> dict:
    """Sum a queryset of roll-up rows."""
    return rows.aggregate(**sums())


def parse_month(value: str | None, field: str) -> datetime.date | None:
    """``2026-01`` (or a date in that month) → its first day; ``None`` when empty. A bad
    value is a ``ValidationError`` naming ``field``."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(f"{value}-01" if len(value) == 7 else value).replace(
            day=1
        )
    except ValueError as exc:
        raise ValidationError({field: gettext("Should be a month, like 2026-01")}) from exc


def top_nodes(user, inside):
    """The caller's own places: the roots of ``inside`` (``Node.objects.inside(user)``) where
    they see cases — the whole tree's roots for an administrator."""
    scope = get_scope(user)
    if scope.unrestricted:
        return inside.filter(parent__isnull=True)
    return inside.filter(path__in=scope.paths("cases.view_case"))


def within(rows, places):
    """``rows`` (roll-up rows or cases, by their ``grid_id``) in the subtrees of ``places``.
    Who may see what is ``restrict``'s to say; this only narrows to the places asked about."""
    if not places:
        return rows.none()
    grids = Node.objects.filter(subtree_q([place.path for place in places]))
    return rows.filter(grid_id__in=grids.values("pk"))


def by_node(rows, nodes, inside) -> list[dict]:
    """The counts of roll-up ``rows`` summed under each of ``nodes`` (its whole subtree), in
    the order given: one grouped query, and one for the paths of the grids in ``inside``."""
    per_grid = {g["grid_id"]: g for g in rows.values("grid_id").annotate(**sums())}
    paths = dict(inside.filter(pk__in=list(per_grid)).values_list("pk", "path"))
    result = []
    for node in nodes:
        total = {name: 0 for name in COUNTS}
        for grid_id, counts in per_grid.items():
            if paths.get(grid_id, "").startswith(node.path):
                for name in COUNTS:
                    total[name] += counts[name] or 0
        result.append(total)
    return result
