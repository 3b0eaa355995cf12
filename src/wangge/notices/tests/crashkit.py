"""What the crash test runs in its own database, as a separate process (the test's database
is a transaction the workers cannot see):

``python -m wangge.notices.tests.crashkit setup ROBOTS`` — a district, a community and a grid
per robot, each grid with its robot (keys ``crash-key-1`` …);
``… burst COUNT`` — COUNT notices to the community, published: one delivery per robot each;
``… report`` — every delivery with its robot's key, words, state and attempts, as JSON.

The tests' side: ``own_database`` (a file SQLite database, or a throwaway PostgreSQL one when
the suite runs on PostgreSQL) and ``Workers`` (``wangge worker`` processes started, killed
and started again), shared by the outbox's and the intake's crash tests.
"""

import contextlib
import json
import random
import subprocess
import sys
import uuid
from pathlib import Path

from tests import pinned

# The repository, where ``python -m tests.pinned`` is found.
ROOT = Path(__file__).resolve().parents[4]


def _square(col: int) -> dict:
    west, south = 113.55 + col * 0.01, 34.72
    ring = [[west, south], [west + 0.01, south], [west + 0.01, south + 0.01], [west, south + 0.01]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def setup(robots: int) -> None:
    from wangge.notices import services
    from wangge.territory import services as territory

    district = territory.create_node(actor=None, kind="district", code="410102", name="中原区")
    street = territory.create_node(
        actor=None, kind="street", code="410102010", name="中原西路街道", parent=district
    )
    community = territory.create_node(
        actor=None, kind="community", code="410102010003", name="绿都社区", parent=street
    )
    for number in range(1, robots + 1):
        grid = territory.create_node(
            actor=None,
            kind="grid",
            code=f"410102010003{number:03d}",
            name=f"第{number}网格",
            parent=community,
            geometry_json=_square(number),
        )
        services.create_robot(actor=None, grid=grid, name=grid.name, key=f"crash-key-{number}")


def burst(count: int) -> None:
    from wangge.notices import services
    from wangge.notices.models import NoticeKind
    from wangge.territory.models import Node

    community = Node.objects.get(code="410102010003")
    kind = NoticeKind.objects.get(code="convenience")
    for number in range(count):
        notice = services.create_notice(
            actor=None,
            kind=kind,
            title=f"压力测试第{number:03d}号",
            body="worker crash test",
            nodes=[community],
            to_web=False,
        )
        services.publish_notice(actor=None, notice=notice)


def report() -> None:
    from wangge.notices.models import Delivery

    rows = []
    deliveries = Delivery.objects.select_related("robot").prefetch_related("tries").order_by("pk")
    for delivery in deliveries:
        rows.append(
            {
                "id": delivery.pk,
                "key": delivery.robot.key,
                "content": delivery.payload["text"]["content"],
                "state": delivery.state,
                "created": delivery.created_at.timestamp(),
                "attempts": [
                    {
                        "worker": attempt.worker,
                        "outcome": attempt.outcome,
                        "started": attempt.started_at.timestamp(),
                        "answered": attempt.finished_at is not None,
                    }
                    for attempt in delivery.tries.all()
                ],
            }
        )
    json.dump(rows, sys.stdout, ensure_ascii=False)


@contextlib.contextmanager
def own_database(tmp_path: Path):
    """The environment of the workers' database: PostgreSQL if the suite runs on it."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        yield {}
        return
    import psycopg

    name = f"wangge_crash_{uuid.uuid4().hex[:8]}"
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    user, password = settings["USER"] or "", settings["PASSWORD"] or ""
    login = f"{user}:{password}@" if password else f"{user}@" if user else ""
    admin = psycopg.connect(
        host=host,
        port=port,
        user=user or None,
        password=password or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield {"DATABASE_URL": f"postgres://{login}{host}:{port}/{name}"}
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


class Workers:
    """Worker processes started, killed and started again by this test (and only these)."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.running: list[subprocess.Popen] = []
        self.kills = 0

    def start(self) -> None:
        with self.log.open("a") as out:
            self.running.append(
                subprocess.Popen(
                    # ``wangge worker`` on the tests' pinned clock (``tests/pinned.py``).
                    [sys.executable, "-m", "tests.pinned", "worker", "--sleep", "0.2"],
                    env={**self.env, **pinned.variables()},
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )

    def kill_one(self, rng: random.Random) -> None:
        victim = self.running.pop(rng.randrange(len(self.running)))
        victim.kill()  # SIGKILL: no goodbye, mid-send if it was sending
        victim.wait()
        self.kills += 1
        self.start()

    def stop(self) -> None:
        for process in self.running:
            process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running = []


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    {"setup": setup, "burst": burst, "report": report}[command](*(int(a) for a in args))


if __name__ == "__main__":
    import os

    pinned.follow()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    main(sys.argv[1:])
