"""Creates under crashes: cases posted to ``POST /api/v1/cases`` through gunicorn by
client threads that retry every error, timeout and reset with the same ``Idempotency-Key``,
while gunicorn's workers and the job workers are killed with SIGKILL over and over.

Afterwards every case the server acknowledged (a 2xx answer) exists exactly once, under the
id it was acknowledged with; no key made two cases; and every SMS the creates queued (one
case in ten leaves the reporter's phone: "your case was accepted") reached the fake gateway
on loopback, any message that arrived twice matching an attempt whose worker died before it
recorded the answer. gunicorn and the workers run on a database of their own: a file SQLite
database, or a throwaway PostgreSQL database when the suite runs on PostgreSQL.

How many: ``WANGGE_CRASH_CREATES``, 400 by default (``make test``: the same ten kills of each
kind, a kill every forty creates or so); CI's PostgreSQL pass, the engine deployments run on,
posts 5,000.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import pinned
from wangge.notices.tests import fakes
from wangge.notices.tests.crashkit import Workers, own_database
from wangge.notices.tests.fakes import FakeServer

pytestmark = pytest.mark.crash

CREATES = int(os.environ.get("WANGGE_CRASH_CREATES", "400"))
CLIENTS = 8
SERVER_WORKERS = 3
JOB_WORKERS = 2
PHONE_EVERY = 10  # one create in ten leaves the reporter's phone: one SMS each
KILLS = 10  # of each: a gunicorn worker, a job worker, alternately, spread over the creates
CLIENT_TIMEOUT = 5.0
CATEGORIES = ["SJ01", "SJ02", "SJ03", "BJ01", "MS02"]
ROOT = Path(__file__).resolve().parent.parent
WANGGE = Path(sys.prefix) / "bin" / "wangge"
PYTHON = Path(sys.prefix) / "bin" / "python"
GUNICORN = [sys.executable, "-m", "tests.pinned", "gunicorn"]  # on the tests' clock


def kit(env: dict, command: str) -> dict:
    done = subprocess.run(
        [str(PYTHON), "-m", "tests.intakekit", command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def wait_ready(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise AssertionError("gunicorn did not answer /healthz")


def post(port: int, token: str, number: int) -> tuple[int, dict]:
    """One try at create ``number``: the status and the answer's JSON."""
    body = {
        "category": CATEGORIES[number % len(CATEGORIES)],
        "description": f"崩溃测试 crash-{number}",
        "lng": 113.565 + (number % 2) * 0.01,
        "lat": 34.725,
    }
    if number % PHONE_EVERY == 0:
        body["reporter_phone"] = f"139{number:08d}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request(
            "POST",
            "/api/v1/cases",
            body=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"crash-{number}",
            },
        )
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        connection.close()


class Clients:
    """Threads that post every create until it is acknowledged, retrying with its key."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.todo: queue.Queue[int] = queue.Queue()
        for number in range(CREATES):
            self.todo.put(number)
        self.acknowledged: dict[int, set[int]] = collections.defaultdict(set)
        self.retries = collections.Counter()
        self.refused: list[str] = []
        self.lock = threading.Lock()

    def run(self) -> None:
        while True:
            try:
                number = self.todo.get_nowait()
            except queue.Empty:
                return
            for attempt in range(60):
                try:
                    status, answer = post(self.port, self.token, number)
                except (OSError, http.client.HTTPException, ValueError) as error:
                    reason = type(error).__name__
                else:
                    if 200 <= status < 300:
                        with self.lock:
                            self.acknowledged[number].add(answer["id"])
                        break
                    if 400 <= status < 500 and status != 429:
                        with self.lock:
                            self.refused.append(f"crash-{number}: {status} {answer}")
                        break
                    reason = str(status)
                with self.lock:
                    self.retries[reason] += 1
                time.sleep(min(0.05 * 2**attempt, 1.0))


def test_acknowledged_creates_exist_once_and_no_message_is_lost(tmp_path, monkeypatch):
    rng = random.Random(410102)
    # The gateway takes a moment to answer, so kills land while a message is being sent.
    monkeypatch.setitem(fakes.ANSWERS, "sms_slow", (200, {"code": "0", "message": "ok"}, 0.05))
    with FakeServer(default="sms_slow") as gateway, own_database(tmp_path) as database:
        port = free_port()
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if k not in {"DATABASE_URL", "WANGGE_DEBUG", "ALLOWED_HOSTS"}
            },
            **database,
            "WANGGE_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "wangge.settings",
            "ALLOWED_HOSTS": "127.0.0.1",
            "WANGGE_SMS_PROVIDER": "http",
            "WANGGE_SMS_URL": gateway.url,
            "WANGGE_DELIVERY_TIMEOUT_SECONDS": "2",
            "WANGGE_DELIVERY_LEASE_SECONDS": "5",
            "WANGGE_DELIVERY_RETRY_SECONDS": "0.5",
            "WANGGE_DELIVERY_MAX_ATTEMPTS": "50",
            "WANGGE_LOG_LEVEL": "WARNING",
            **pinned.variables(),  # every process on the tests' clock
        }
        subprocess.run(
            [str(WANGGE), "migrate", "--noinput", "-v0"], env=env, check=True, timeout=180
        )
        token = kit(env, "setup")["token"]
        server_log = (tmp_path / "gunicorn.log").open("ab")
        server = subprocess.Popen(
            [
                *GUNICORN,
                "wangge.wsgi:application",
                f"--workers={SERVER_WORKERS}",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{port}",
                "--graceful-timeout=5",
            ],
            env=env,
            cwd=ROOT,
            stdout=server_log,
            stderr=server_log,
        )
        workers = Workers(env, tmp_path / "workers.log")
        server_kills = 0
        try:
            for _ in range(JOB_WORKERS):
                workers.start()
            wait_ready(port, server)
            started = time.monotonic()
            clients = Clients(port, token)
            threads = [threading.Thread(target=clients.run) for _ in range(CLIENTS)]
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):
                time.sleep(rng.uniform(0.05, 0.25))
                due = len(clients.acknowledged) * 2 * KILLS // CREATES
                if server_kills + workers.kills >= min(due, 2 * KILLS):
                    continue
                if server_kills <= workers.kills:
                    os.kill(rng.choice(children(server.pid)), signal.SIGKILL)  # a new one starts
                    server_kills += 1
                else:
                    workers.kill_one(rng)
            posted = time.monotonic()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                found = kit(env, "report")
                if all(row["state"] == "sent" for row in found["deliveries"]):
                    break
                time.sleep(1)
        finally:
            workers.stop()
            if server.poll() is None:
                server.kill()
                server.wait()
            server_log.close()
        drained = time.monotonic()
        found = kit(env, "report")
        requests = list(gateway.requests)

    assert not clients.refused, clients.refused[:10]
    assert "Traceback" not in (tmp_path / "workers.log").read_text()
    assert server_kills >= KILLS - 1 and workers.kills >= KILLS - 1

    # Every create acknowledged, each with one id however often it was retried.
    assert len(clients.acknowledged) == CREATES
    acknowledged = {f"crash-{n}": ids for n, ids in clients.acknowledged.items()}
    assert all(len(ids) == 1 for ids in acknowledged.values())

    # Each exists once: one case per key, under the acknowledged id; no case without its key.
    cases = dict(found["cases"])
    by_words = collections.Counter(words.rsplit(" ", 1)[-1] for words in cases.values())
    duplicates = sum(count - 1 for count in by_words.values())
    lost = [key for key, ids in acknowledged.items() if next(iter(ids)) not in cases]
    keys = dict(found["keys"])
    assert duplicates == 0, f"{duplicates} cases made twice"
    assert not lost, f"{len(lost)} acknowledged cases missing: {lost[:10]}"
    assert len(cases) == CREATES
    assert keys == {key: next(iter(ids)) for key, ids in acknowledged.items()}

    # The outbox: one SMS for each case with the reporter's phone, every one sent.
    deliveries = found["deliveries"]
    with_phone = {next(iter(acknowledged[f"crash-{n}"])) for n in range(0, CREATES, PHONE_EVERY)}
    assert collections.Counter(row["case"] for row in deliveries) == dict.fromkeys(with_phone, 1)
    assert collections.Counter(row["state"] for row in deliveries) == {"sent": len(with_phone)}
    arrived = collections.Counter(request.body["client_msg_id"] for request in requests)
    assert set(arrived) == {f"wangge-{row['id']}" for row in deliveries}, "a message was lost"
    repeats = abandoned_total = 0
    for row in deliveries:
        abandoned = sum(1 for a in row["attempts"] if a["outcome"] == "abandoned")
        abandoned_total += abandoned
        times = arrived[f"wangge-{row['id']}"]
        # A repeat only where a worker died between sending and recording the answer.
        assert times - 1 <= abandoned, f"delivery {row['id']}: unexplained repeat"
        repeats += times - 1

    print(
        f"\nintake crash test: {CREATES} creates by {CLIENTS} clients in {posted - started:.1f} s,"
        f" retries {sum(clients.retries.values())} ({dict(clients.retries)}),"
        f" kills: {server_kills} gunicorn workers, {workers.kills} job workers;"
        f" duplicates {duplicates}, lost {len(lost)};"
        f" {len(deliveries)} SMS, {len(requests)} gateway requests, {repeats} repeats,"
        f" {abandoned_total} abandoned attempts; drained {drained - posted:.1f} s after the last"
        " create"
    )
