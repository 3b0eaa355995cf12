"""The moment the tests live in: the demo's year of cases is laid out back from it, and the
clock of the test run (and of the browser tests' server) starts there and moves on.

Data counted back from today (the demo's year, "the last six months", late marks) would
otherwise give other results on other days. ``WANGGE_TEST_TODAY=YYYY-MM-DD`` pins another
day, to show the date-sensitive tests pass on it too (``make test-dates``).

``python -m tests.pinned ARGS`` runs the ``wangge`` command with its clock pinned, for the
subprocesses of the tests (the browser tests' demo server).
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


def start(*, tick: bool = True):
    """Move this process's clock to ``moment()``; it ticks on from there (or stands still,
    ``tick=False``: the demo is built with it standing, so everything in it is dated at or
    before ``moment()`` however long the build takes, and a run that starts at ``moment()``
    later, on a kept database, never meets records from its future)."""
    import time_machine

    traveller = time_machine.travel(moment(), tick=tick)
    traveller.start()
    return traveller


def environ(env: dict | None = None) -> dict:
    """An environment for a subprocess that runs ``python -m tests.pinned``."""
    env = dict(os.environ if env is None else env)
    env[ENV] = today().isoformat()
    return env


if __name__ == "__main__":
    start(tick=sys.argv[1:2] != ["demo"])
    from wangge.__main__ import main

    sys.argv = ["wangge", *sys.argv[1:]]
    main()
