"""Workers killed under load: three real ``wangge worker`` processes send a burst to a fake
WeCom on loopback while they are killed (SIGKILL) over and over and started again.

Afterwards every message has arrived; no message was ever being sent by two workers at once;
no robot received more than its pace allows in any window, across all the workers; and every
message that arrived twice matches an attempt whose worker died before it recorded the
answer. The workers run on a database of their own: a file SQLite database, or a throwaway
PostgreSQL database when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests import pinned

from wangge.notices.tests.crashkit import ROOT, Workers, own_database
from wangge.notices.tests.fakes import FakeServer, most_in_any_window

pytestmark = pytest.mark.processes

WANGGE = Path(sys.prefix) / "bin" / "wangge"
PYTHON = Path(sys.prefix) / "bin" / "python"
ROBOTS = 3
NOTICES = 30  # 90 deliveries: 30 a robot
PER_WINDOW, WINDOW = 10, 2.0  # the pace, shortened from WeCom's 20 a minute to fit a test
TIMEOUT, LEASE = 2.0, 5.0
KILLS = 10


def kit(env: dict, *args: str) -> str:
    done = subprocess.run(
        [str(PYTHON), "-m", "wangge.notices.tests.crashkit", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_killed_workers_lose_nothing_and_every_repeat_is_explained(tmp_path):
    rng = random.Random(410102)
    with FakeServer() as fake, own_database(tmp_path) as database:
        fake.slow_seconds = 0.15
        fake.default = "slow"  # an answer takes a moment: kills land mid-send
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}},
            **database,
            "WANGGE_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "wangge.settings",
            "WANGGE_WECOM_WEBHOOK_URL": fake.url,
            "WANGGE_WECOM_PER_WINDOW": str(PER_WINDOW),
            "WANGGE_WECOM_WINDOW_SECONDS": str(WINDOW),
            "WANGGE_DELIVERY_TIMEOUT_SECONDS": str(TIMEOUT),
            "WANGGE_DELIVERY_LEASE_SECONDS": str(LEASE),
            "WANGGE_DELIVERY_RETRY_SECONDS": "0.5",
            "WANGGE_DELIVERY_MAX_ATTEMPTS": "50",
            "WANGGE_LOG_LEVEL": "WARNING",
            **pinned.variables(),  # the workers' clock in step with this one
        }
        subprocess.run(
            [str(WANGGE), "migrate", "--noinput", "-v0"], env=env, check=True, timeout=120
        )
        kit(env, "setup", str(ROBOTS))
        workers = Workers(env, tmp_path / "workers.log")
        for _ in range(3):
            workers.start()
        time.sleep(2)  # the workers are up and idle when the burst comes
        burst_at = time.time()
        kit(env, "burst", str(NOTICES))
        try:
            while workers.kills < KILLS and time.time() - burst_at < 30:
                time.sleep(rng.uniform(0.3, 0.9))
                workers.kill_one(rng)
            deadline = time.time() + 45
            while time.time() < deadline:
                rows = json.loads(kit(env, "report"))
                if all(row["state"] == "sent" for row in rows):
                    break
                time.sleep(1)
        finally:
            workers.stop()
        rows = json.loads(kit(env, "report"))
        requests = list(fake.requests)

    assert len(rows) == ROBOTS * NOTICES
    assert collections.Counter(row["state"] for row in rows) == {"sent": ROBOTS * NOTICES}
    assert workers.kills == KILLS
    assert "Traceback" not in (tmp_path / "workers.log").read_text()

    by_message = collections.defaultdict(list)
    for request in requests:
        by_message[request.key, request.content].append(request)
    # Nothing lost: every delivery reached the fake, and nothing else did.
    assert set(by_message) == {(row["key"], row["content"]) for row in rows}

    repeats = abandoned_total = 0
    for row in rows:
        arrived = sorted(by_message[row["key"], row["content"]], key=lambda r: r.received)
        # Never two workers on one message at once: each request was answered before the
        # next one for the same message arrived.
        for earlier, later in itertools.pairwise(arrived):
            assert later.received >= earlier.answered, f"delivery {row['id']} sent concurrently"
        unanswered = [a for a in row["attempts"] if not a["answered"]]
        assert all(a["outcome"] in {"abandoned", ""} for a in unanswered)
        abandoned = [a for a in row["attempts"] if a["outcome"] == "abandoned"]
        abandoned_total += len(abandoned)
        # A repeat only where a worker died (or lost its lease) between sending and
        # recording the answer: an attempt taken over by another worker.
        assert len(arrived) - 1 <= len(abandoned), f"delivery {row['id']}: unexplained repeat"
        assert len(arrived) <= len(row["attempts"])
        repeats += len(arrived) - 1

    # The pace held across the workers, as WeCom would count it (arrivals per window).
    for number in range(1, ROBOTS + 1):
        arrivals = [r.received for r in requests if r.key == f"crash-key-{number}"]
        assert most_in_any_window(arrivals, WINDOW) <= PER_WINDOW

    # Sent promptly: the first message left soon after it was written.
    latency = min(r.received for r in requests) - min(row["created"] for row in rows)
    assert latency < 3.0
    print(
        f"\ncrash test: {len(rows)} deliveries, {len(requests)} requests, {workers.kills} kills,"
        f" {abandoned_total} abandoned attempts, {repeats} repeats (all explained),"
        f" first message {latency:.2f} s after the burst began"
    )
