"""The moment the tests live in: the demo's year of cases is laid out back from it, and the
clock of the test run (and of the browser tests' server) starts there and moves on.

Data counted back from today (the demo's year, "the last six months", late marks) would
otherwise give other results on other days. ``WANGGE_TEST_TODAY=YYYY-MM-DD`` pins another
day, to show the date-sensitive tests pass on it too (``make test-dates``).

``python -m tests.pinned ARGS`` runs the ``wangge`` command with its clock pinned, for the
subprocesses of the tests (the browser tests' demo server, the crash tests' workers). Started
from a process whose clock is pinned, its clock keeps step with its parent's
(``WANGGE_TEST_CLOCK_OFFSET``: seconds between the pinned and the real clock), so times
written by both can be compared.
"""

from __future__ import annotations

import datetime
import os
import sys
import zoneinfo

# A Thursday in the heating season, a working day; 10:00 in Zhengzhou.
DEFAULT_DAY = "2026-12-10"
HOUR = 10
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
ENV = "WANGGE_TEST_TODAY"
OFFSET_ENV = "WANGGE_TEST_CLOCK_OFFSET"
# Dates the date-sensitive tests are also run at (``make test-dates``): the Spring Festival
# holidays, the National Day week, the last day of a year, a make-up working Saturday (调休).
OTHER_DAYS = ("2026-02-20", "2026-10-05", "2025-12-31", "2026-10-10")


def today() -> datetime.date:
    value = os.environ.get(ENV) or DEFAULT_DAY
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"{ENV}={value!r} is not a date (YYYY-MM-DD)") from None


def moment() -> datetime.datetime:
    return datetime.datetime.combine(today(), datetime.time(HOUR), ZONE)


_pinned = False  # whether this process's clock is pinned and ticking


def start(*, tick: bool = True):
    """Move this process's clock to ``moment()``; it ticks on from there (or stands still,
    ``tick=False``: the demo is built with it standing, so everything in it is dated at or
    before ``moment()`` however long the build takes, and a run that starts at ``moment()``
    later, on a kept database, never meets records from its future)."""
    global _pinned
    import time

    import time_machine

    destination = moment().timestamp()
    if tick and os.environ.get(OFFSET_ENV):
        destination = time.time() + float(os.environ[OFFSET_ENV])  # in step with the parent
    traveller = time_machine.travel(destination, tick=tick)
    traveller.start()
    time.time()  # a travelling clock starts to tick when it is first read: now
    _pinned = _pinned or tick
    return traveller


def variables() -> dict:
    """What a subprocess needs in its environment to live on this process's clock."""
    found = {ENV: today().isoformat()}
    if _pinned:
        import time

        from time_machine import escape_hatch

        found[OFFSET_ENV] = repr(time.time() - escape_hatch.time.time())
    return found


def environ(env: dict | None = None) -> dict:
    """An environment for a subprocess that runs ``python -m tests.pinned``."""
    return {**(os.environ if env is None else env), **variables()}


def follow() -> None:
    """In a subprocess of the tests: pin the clock if the parent's is pinned."""
    if os.environ.get(OFFSET_ENV):
        start()


if __name__ == "__main__":
    start(tick=sys.argv[1:2] != ["demo"])
    if sys.argv[1:2] == ["gunicorn"]:  # gunicorn ARGS: its forked workers keep the clock
        from gunicorn.app.wsgiapp import run

        sys.argv = sys.argv[1:]
        sys.exit(run())
    from wangge.__main__ import main

    sys.argv = ["wangge", *sys.argv[1:]]
    main()
