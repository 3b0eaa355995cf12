"""A year of cases, written fast: the data of the benchmarks that need many (rates, reads).

``CaseMaker`` draws cases spread evenly over the last 365 days and over the grids it is
given, their categories from the leaves it is given with skewed weights (a few kinds of
problem make most of the work), their channels mixed; each case's life is drawn (acceptance
after about an hour against a 2-hour limit, finishing after about three days against a 5-day
promise, verification, callback and rating) and cut at the present, so old cases are closed
and recent ones open in every state; a few are parked, escalated, handed to an agency, sent
back for rework, reopened, merged or void. An open case carries its stage, the stage's
deadline and the yellow or red mark the sweep would have given it. Optionally each case gets
a position inside its grid, and each dispatched one the task of its handler.

``fill`` writes them in bulk (``wangge.core.bulk.insert``, ``COPY`` on PostgreSQL); the
caller then recomputes the roll-ups (``metrics.rebuild()``) and, on PostgreSQL, ``vacuum``
does what autovacuum would after such a load.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction

from wangge.cases.choices import Channel, Kind, Mark, Rating, Stage, State, TaskState
from wangge.cases.machine import STAGE_OF
from wangge.cases.models import Case, Task
from wangge.core import bulk

CHUNK = 50_000

# The life of a case, in hours unless said otherwise.
RESPOND_LIMIT_H = 2
PROMISE_DAYS = 5
DISPATCH_LIMIT_H = 4
SIGN_LIMIT_H = 4
VERIFY_LIMIT_H = 24
CALLBACK_LIMIT_H = 72
WARN_AT = 0.8  # the share of a stage's time after which it is marked yellow
CHANNELS = [
    (Channel.PATROL, 30),
    (Channel.GROUP_CHAT, 20),
    (Channel.PHONE, 15),
    (Channel.HOTLINE, 15),
    (Channel.WEB, 8),
    (Channel.WALK_IN, 5),
    (Channel.HOME_VISIT, 4),
    (Channel.OPEN311, 3),
]
PHRASES = [
    "楼道堆放杂物影响通行",
    "小区路灯损坏夜间不亮",
    "垃圾桶满溢无人清运",
    "楼上住户夜间噪音扰民",
    "消防通道被私家车占用",
    "电动车在楼道内飞线充电",
    "下水道堵塞污水外溢",
    "暖气不热室温过低",
    "绿化带树木倒伏",
    "人行道井盖缺失",
    "外墙瓷砖脱落存在隐患",
    "独居老人需要帮助办理业务",
]

FIELDS = [
    "number",
    "tracking_code",
    "title",
    "description",
    "category",
    "kind",
    "urgent",
    "channel",
    "state",
    "grid",
    "level",
    "lng",
    "lat",
    "address",
    "attributes",
    "reporter_name",
    "reporter_phone",
    "reporter_phone_hash",
    "public",
    "external_source",
    "external_id",
    "handler",
    "agency",
    "project_ref",
    "stage",
    "stage_started_at",
    "stage_deadline",
    "stage_warn_at",
    "respond_by",
    "due_at",
    "mark",
    "escalations",
    "created_at",
    "accepted_at",
    "dispatched_at",
    "signed_at",
    "done_at",
    "verified_at",
    "closed_at",
    "parked_until",
    "reopen_count",
    "rework_count",
    "rating",
    "rating_comment",
    "rated_at",
    "updated_at",
]
TASK_FIELDS = [
    "case",
    "grid",
    "assignee",
    "state",
    "instructions",
    "result",
    "due_at",
    "created_at",
    "signed_at",
    "done_at",
]
TASK_STATE = {
    State.RETURNED: TaskState.RETURNED,
    State.DISPATCHED: TaskState.DISPATCHED,
    State.SIGNED: TaskState.SIGNED,
    State.HANDLING: TaskState.HANDLING,
    State.DONE: TaskState.DONE,
    State.VERIFIED: TaskState.DONE,
    State.CLOSED: TaskState.DONE,
}


@dataclass
class Batch:
    """Rows of cases, and rows of tasks each naming its case by its index in ``cases``."""

    cases: list[tuple] = field(default_factory=list)
    tasks: list[tuple] = field(default_factory=list)


def _stage_times(state, times: dict, c: int, respond_by: int, due) -> tuple[int, int] | None:
    """When the stage ``state`` is in began and when its time runs out (epoch seconds)."""
    stage = STAGE_OF.get(state, "")
    accepted = times.get("accepted_at")
    if stage == Stage.ACCEPT:
        return c, respond_by
    if stage == Stage.DISPATCH:
        return accepted, accepted + DISPATCH_LIMIT_H * 3600
    if stage == Stage.SIGN:
        return times["dispatched_at"], times["dispatched_at"] + SIGN_LIMIT_H * 3600
    if stage == Stage.HANDLE:
        return (times.get("signed_at") or accepted, due) if due else None
    if stage == Stage.VERIFY:
        return times["done_at"], times["done_at"] + VERIFY_LIMIT_H * 3600
    if stage == Stage.CALLBACK:
        return times["verified_at"], times["verified_at"] + CALLBACK_LIMIT_H * 3600
    return None


class CaseMaker:
    """Rows of cases for ``bulk.insert``: the same for the same seeds and present moment.

    ``community_of`` maps each grid's id to its community's; ``workers`` each grid to the
    user who handles its cases, ``staff`` each community to its staff member (who handles
    some); ``categories`` are ``(id, default kind, name)``, most frequent first. ``points``
    (grid id → an array of positions inside it) gives cases a position, ``tasks`` each
    dispatched case its handler's task, and ``helping`` is the share of a grid's cases given
    to the worker of another grid of the same community (asked to help); all three draw from
    ``extra_rng``, so the cases' other values stay those ``rng`` alone gives.
    """

    def __init__(
        self,
        now,
        community_of,
        workers,
        staff,
        categories,
        agency_id,
        rng,
        *,
        points: dict[int, np.ndarray] | None = None,
        tasks: bool = False,
        helping: float = 0.0,
        extra_rng=None,
    ):
        self.now = now
        self.grids = np.array(sorted(community_of))
        self.community_of, self.workers, self.staff = community_of, workers, staff
        self.categories = categories
        weights = 1 / np.arange(1, len(categories) + 1) ** 0.9
        self.category_p = weights / weights.sum()
        self.channels = [channel for channel, _w in CHANNELS]
        channel_w = np.array([w for _c, w in CHANNELS], dtype=float)
        self.channel_p = channel_w / channel_w.sum()
        self.agency_id = agency_id
        self.rng = rng
        self.extra = extra_rng if extra_rng is not None else np.random.default_rng(0)
        self.points = points
        self.with_tasks = tasks
        self.helping = helping
        # The workers of the other grids of each grid's community, who may be asked to help.
        self.helpers = {
            grid: sorted(
                {
                    workers[other]
                    for other in community_of
                    if community_of[other] == community and workers[other] != workers[grid]
                }
            )
            for grid, community in community_of.items()
        }
        # Residents' phones (encrypted by ``bulk.insert``, as the import does).
        self.phones = [f"139{n:08d}" for n in range(1000)]
        self.epoch = int(now.timestamp())

    def rows(self, start: int, count: int) -> list[tuple]:
        return self.batch(start, count).cases

    def batch(self, start: int, count: int) -> Batch:
        rng, now = self.rng, self.epoch
        created = now - rng.integers(60, 365 * 86400, count)
        respond_after = (rng.exponential(1.2, count) * 3600).astype(np.int64)
        handle_after = (rng.gamma(2.0, 1.5, count) * 86400).astype(np.int64)
        verify_after = (rng.exponential(12, count) * 3600).astype(np.int64) + 600
        close_after = (rng.exponential(24, count) * 3600).astype(np.int64) + 600
        fate = rng.random(count)
        rated = rng.random(count)
        side = rng.random(count)
        grids = rng.choice(self.grids, count)
        categories = rng.choice(len(self.categories), count, p=self.category_p)
        channels = rng.choice(len(self.channels), count, p=self.channel_p)
        phrase = rng.integers(0, len(PHRASES), count)
        # Draws of their own, so the values above do not depend on the options.
        waiting = self.extra.random(count)
        where = self.extra.integers(0, 1 << 30, count)
        helped = self.extra.random(count)
        out = Batch()
        stamp = datetime.datetime.fromtimestamp
        utc = datetime.UTC
        updated = stamp(now, utc)
        for i in range(count):
            index = start + i
            c = int(created[i])
            grid = int(grids[i])
            category_id, default_kind, category_name = self.categories[categories[i]]
            channel = self.channels[channels[i]]
            phone = self.phones[index % 1000] if channel not in (Channel.PATROL,) else ""
            kind = Kind.INSTANT if side[i] < 0.08 else default_kind
            respond_by = c + RESPOND_LIMIT_H * 3600
            accepted = c + int(respond_after[i])
            due = accepted + PROMISE_DAYS * 86400
            done = accepted + int(handle_after[i])
            verified = done + int(verify_after[i])
            closed = verified + int(close_after[i])
            handler = self.staff[self.community_of[grid]] if side[i] > 0.85 else self.workers[grid]
            if helped[i] < self.helping and handler == self.workers[grid] and self.helpers[grid]:
                handler = self.helpers[grid][where[i] % len(self.helpers[grid])]
            level = agency = parked_until = None
            rework = reopen = 0
            rating = ""
            times = {}
            if fate[i] < 0.01:
                state = State.VOID
                times = {"closed_at": c + 1800}
                handler = None
            elif fate[i] < 0.03:
                state, handler = State.MERGED, None
                times = {"closed_at": c + 900}
            elif accepted > now:
                state, handler = State.REPORTED, None
            elif fate[i] < 0.045 and done > now:
                state = State.PARKED
                parked_until = datetime.date.fromtimestamp(now + 30 * 86400)
                times = {"accepted_at": accepted}
            elif fate[i] < 0.055 and done > now:
                state, level = State.ESCALATED, self.community_of[grid]
                times = {"accepted_at": accepted}
            elif fate[i] < 0.065 and done > now:
                # Handed to an outside agency until its answer comes back.
                state, agency, handler = State.TRANSFERRED, self.agency_id, None
                times = {"accepted_at": accepted}
            elif done > now:
                state = (State.DISPATCHED, State.SIGNED, State.HANDLING)[index % 3]
                if waiting[i] < 0.04:
                    state = State.ACCEPTED  # waiting to be dispatched
                elif waiting[i] < 0.06:
                    state = State.RETURNED  # sent back by whoever it was given to
                times = {"accepted_at": accepted}
                if state != State.ACCEPTED:
                    times["dispatched_at"] = accepted + 300
                if state in (State.SIGNED, State.HANDLING):
                    times["signed_at"] = accepted + 3600
            else:
                if fate[i] > 0.96:
                    rework = 1
                times = {
                    "accepted_at": accepted,
                    "dispatched_at": accepted + 300,
                    "signed_at": accepted + 3600,
                    "done_at": done,
                }
                if verified > now:
                    state = State.DONE
                elif closed > now:
                    state = State.VERIFIED
                    times["verified_at"] = verified
                else:
                    state = State.CLOSED
                    times["verified_at"], times["closed_at"] = verified, closed
                    if rated[i] < 0.75:
                        r = rated[i] / 0.75
                        rating = (
                            Rating.SATISFIED
                            if r < 0.72
                            else Rating.FAIRLY
                            if r < 0.93
                            else Rating.DISSATISFIED
                        )
                        times["rated_at"] = closed
                        if rating == Rating.DISSATISFIED and side[i] < 0.3:
                            reopen = 1
            if kind == Kind.INSTANT and "done_at" in times:
                due = None
            stage = STAGE_OF.get(state, "")
            span = _stage_times(state, times, c, respond_by, due)
            started = deadline = warn = None
            mark = Mark.ON_TIME
            if span is not None:
                started, deadline = span
                warn = started + int((deadline - started) * WARN_AT)
                mark = Mark.RED if now >= deadline else Mark.YELLOW if now >= warn else mark
            accepted_at = times.get("accepted_at")
            lng = lat = None
            if self.points is not None:
                inside = self.points[grid]
                lng, lat = (float(v) for v in inside[where[i] % len(inside)])
            out.cases.append(
                (
                    f"B{index:011d}",
                    f"T{index:09d}",
                    f"{category_name}：{PHRASES[phrase[i]]}",
                    f"{PHRASES[phrase[i]]}，{PHRASES[(phrase[i] + 5) % len(PHRASES)]}，请尽快处理。"
                    f"居民反映已持续数日（第{index}号）。",
                    category_id,
                    kind,
                    False,  # urgent: none of the bench's answers make a case so
                    channel,
                    state,
                    grid,
                    level,
                    lng,
                    lat,
                    f"中原区{category_name}附近{index % 97 + 1}号楼",
                    {},
                    "" if not phone else "王女士",
                    phone,
                    "" if not phone else f"{index % 1000:040d}",
                    channel != Channel.PATROL,
                    "",
                    "",
                    handler,
                    agency,
                    "",
                    stage,
                    _stamp(started),
                    _stamp(deadline),
                    _stamp(warn),
                    stamp(respond_by, utc),
                    stamp(due, utc) if accepted_at and due else None,
                    mark,
                    1 if level else 0,
                    stamp(c, utc),
                    stamp(accepted_at, utc) if accepted_at else None,
                    _at(times, "dispatched_at"),
                    _at(times, "signed_at"),
                    _at(times, "done_at"),
                    _at(times, "verified_at"),
                    _at(times, "closed_at"),
                    parked_until,
                    reopen,
                    rework,
                    rating,
                    "",
                    _at(times, "rated_at"),
                    updated,
                )
            )
            if self.with_tasks and handler and "dispatched_at" in times:
                out.tasks.append(
                    (
                        i,
                        grid,
                        handler,
                        TASK_STATE[state],
                        "",
                        "",
                        stamp(due, utc) if due else None,
                        _at(times, "dispatched_at"),
                        _at(times, "signed_at"),
                        _at(times, "done_at"),
                    )
                )
        return out


def _stamp(value: int | None):
    return None if value is None else datetime.datetime.fromtimestamp(value, datetime.UTC)


def _at(times: dict, name: str):
    return _stamp(times.get(name))


def fill(maker: CaseMaker, have: int, want: int, log) -> float:
    """Write cases ``have`` … ``want`` (and their tasks); the seconds it took."""
    began = time.perf_counter()
    for start in range(have, want, CHUNK):
        count = min(CHUNK, want - start)
        batch = maker.batch(start, count)
        with transaction.atomic():
            ids = bulk.insert(Case, FIELDS, batch.cases, returning=bool(batch.tasks))
            if batch.tasks:
                bulk.insert(Task, TASK_FIELDS, [(ids[row[0]], *row[1:]) for row in batch.tasks])
        if want - have > 4 * CHUNK and (start - have) % (4 * CHUNK) == 0:
            log(f"  {start + count - have:,} of {want - have:,} cases written")
    return time.perf_counter() - began


def vacuum() -> None:
    """PostgreSQL: what autovacuum does after a bulk load (visibility map, statistics), for
    every table, so the planner knows the territory and the people as well as the cases."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
