"""Jobs are rows; ``wangge worker`` processes claim them, run them and record the outcome."""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from wangge.core.choices import JobState
from wangge.core.models import Job

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[Job], dict]] = {}
PERIODIC: dict[str, tuple[float, Callable[[], object]]] = {}
DRAINERS: dict[str, Callable[[str], int]] = {}
LEASE = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 3


def handler(kind: str):
    """Register the function that runs jobs of ``kind``; it returns the job's result."""

    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def periodic(seconds: float):
    """Register a function every worker runs about every ``seconds`` (sweeps, purges).

    Such functions must be safe to run in two workers at once (they lock what they change).
    """

    def register(function):
        PERIODIC[f"{function.__module__}.{function.__name__}"] = (seconds, function)
        return function

    return register


def drainer(function):
    """Register a function the worker calls over and over, beside its jobs, to send what is
    due (the outbox's messages); it takes the worker's id, does a little, and says how much.

    Drainers run in a thread of their own, so a message waits neither for a long import nor
    for the poll's sleep: while one does something it is called again at once, and when none
    does, the thread sleeps a moment (at most a second).
    """
    DRAINERS[f"{function.__module__}.{function.__name__}"] = function
    return function


def drain(owner: str) -> int:
    """Call every drainer once; how much they did."""
    done = 0
    for name, function in DRAINERS.items():
        try:
            done += function(owner)
        except Exception:  # one failing drainer must not stop the worker
            logger.exception("drainer %s failed", name)
    return done


def _drain_loop(owner: str, stop: Callable[[], bool], idle_sleep: float) -> None:
    try:
        while not stop():
            close_old_connections()  # a database that went away is connected to again
            if not drain(owner):
                time.sleep(min(idle_sleep, 1.0))
    finally:
        connection.close()


def enqueue(*, kind: str, params: dict, actor=None, node=None, total: int = 0) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    return Job.objects.create(
        kind=kind, params=params, created_by=actor, node=node, progress_total=total
    )


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_next(owner: str | None = None) -> Job | None:
    """Lease the oldest job waiting (or whose worker died), or return ``None``."""
    owner = owner or worker_id()
    now = timezone.now()
    with transaction.atomic():
        waiting = Job.objects.filter(
            Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, lease_until__lt=now)
        ).order_by("created_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        job = waiting.first()
        if job is None:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            job.state = JobState.FAILED
            job.error = job.error or "gave up after repeated worker failures"
            job.finished_at = now
            job.save(update_fields=["state", "error", "finished_at"])
            return claim_next(owner)
        job.state = JobState.RUNNING
        job.lease_owner = owner
        job.lease_until = now + LEASE
        job.attempts += 1
        job.started_at = job.started_at or now
        job.save(update_fields=["state", "lease_owner", "lease_until", "attempts", "started_at"])
    return job


class Progress:
    """Writes a job's progress at most once a second (and never inside a transaction)."""

    def __init__(self, job: Job, interval: float = 1.0):
        self.job = job
        self.interval = interval
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int = 0) -> None:
        now = time.monotonic()
        if now - self.last < self.interval and phase != "done":
            return
        if connection.in_atomic_block:
            return
        self.last = now
        fields = {"progress_done": done, "lease_until": timezone.now() + LEASE}
        if total:
            fields["progress_total"] = total
        params = dict(self.job.params, phase=phase)
        fields["params"] = params
        Job.objects.filter(pk=self.job.pk).update(**fields)
        self.job.params = params


def run(job: Job) -> Job:
    """Run a claimed job to the end and record how it ended."""
    function = HANDLERS[job.kind]
    try:
        result = function(job)
    except Exception as exc:  # the job fails, the worker goes on
        logger.exception("job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            state=JobState.FAILED,
            error=f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=5)}",
            finished_at=timezone.now(),
            lease_until=None,
        )
    else:
        Job.objects.filter(pk=job.pk).update(
            state=JobState.DONE,
            result=result,
            finished_at=timezone.now(),
            lease_until=None,
        )
    job.refresh_from_db()
    return job


def run_now(job: Job) -> Job:
    """Run a queued job in this process (small imports, tests)."""
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        started_at=timezone.now(),
        attempts=job.attempts + 1,
        lease_owner=worker_id(),
        lease_until=timezone.now() + LEASE,
    )
    job.refresh_from_db()
    return run(job)


def run_periodic(last_run: dict[str, float], now: float | None = None) -> list[str]:
    """Run the periodic functions that are due; return their names."""
    now = time.monotonic() if now is None else now
    ran = []
    for name, (seconds, function) in PERIODIC.items():
        if now - last_run.get(name, float("-inf")) >= seconds:
            try:
                function()
            except Exception:  # one failing sweep must not stop the worker
                logger.exception("periodic %s failed", name)
            last_run[name] = now
            ran.append(name)
    return ran


def work(*, once: bool = False, idle_sleep: float = 1.0, stop: Callable[[], bool] = lambda: False):
    """The worker loop: claim, run, repeat; between jobs, the periodic functions that are due;
    beside them, in a thread, the drainers. With ``once``, stop when nothing is waiting (the
    drainers' work included, done in this thread)."""
    owner = worker_id()
    done = 0
    last_run: dict[str, float] = {}
    drainers, halt = None, threading.Event()
    if not once and DRAINERS:
        drainers = threading.Thread(
            target=_drain_loop,
            args=(owner, lambda: halt.is_set() or stop(), idle_sleep),
            name="drainers",
            daemon=True,
        )
        drainers.start()
    try:
        while not stop():
            run_periodic(last_run)
            job = claim_next(owner)
            if job is None:
                if once:
                    while drain(owner):
                        pass
                    return done
                time.sleep(idle_sleep)
                continue
            logger.info("running job %s (%s)", job.pk, job.kind)
            run(job)
            done += 1
    finally:
        halt.set()
        if drainers is not None:
            drainers.join(timeout=60)  # a message being sent is finished, then recorded
    return done
