"""Case intake through Open311 ``POST requests`` under gunicorn, against ``GET /healthz``.

The database holds a district, a street, a community and its 20 grids (the import
benchmark's territory), the category tree of the data migration and one Open311 client.
gunicorn serves the app as deployed (``wangge.wsgi``, 4 sync workers, ``WANGGE_DEBUG``
unset), with the per-client limit on posts per minute raised out of the way
(``WANGGE_OPEN311_POSTS_PER_MINUTE``). 16 clients, then 64, threads of this process, each
send one request at a time over a fresh connection (sync workers close every connection) for
a fixed time: first ``GET /healthz`` (the floor: Django, the middleware and one ``SELECT 1``),
then ``POST /open311/v2/requests.json`` — form-encoded, the client's ``api_key``, one of ten
service codes without questions, a point inside one of the grids (a different one every
time), a description and a unique ``Idempotency-Key`` — then ``POST /api/v1/cases`` — JSON
with a district administrator's bearer token, the same categories and points, and a unique
``Idempotency-Key``. Each phase starts with an untimed warm-up, so every worker has loaded
its code and its grid index.

Every answer that is not a 2xx counts as an error and is shown; afterwards the number of
cases must equal the number of 201 answers. Latencies are from sending the request to the
last byte of the answer, so they include waiting for a free worker. The clients share the
machine with the server: their CPU time is shown (about a tenth of the machine for
``/healthz``, a fiftieth for the posts), and when ``wrk`` is installed ``/healthz`` is
measured again from it, with the ratio against that (lower) floor beside the goal's. The CPU
time of gunicorn's workers per request, and both requests timed one at a time in process
through Django's test client (no HTTP, rolled back), show where the server's time goes.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings

from figures import Figure, Goal
from import_bench import build_territory
from wangge.cases.models import Case
from wangge.open311.services import create_open311_client
from wangge.open311.views import offered_categories

SIZES = {"full": {"seconds": 15.0, "warmup": 2.0}, "quick": {"seconds": 2.0, "warmup": 0.5}}
# Concurrent clients: 16, and 64 (four for every worker: requests wait in gunicorn's queue).
CLIENT_COUNTS = (16, 64)
CLIENTS = CLIENT_COUNTS[0]
WORKERS = 4
API_KEY = "bench-key"
SERVICE_CODES = ["SJ01", "SJ02", "SJ03", "SJ04", "BJ01", "BJ02", "BJ03", "MS02", "MS03", "BM03"]
PROBLEMS = [
    "路边垃圾堆放多日无人清理",
    "小区门口道路有油污",
    "楼道墙面张贴小广告",
    "工地夜间施工噪音",
    "人行道井盖松动",
    "路灯不亮",
    "绿化带杂物堆积",
    "楼顶水箱漏水",
    "停电后一直未恢复",
    "想咨询老年人补贴办理",
]
HEALTHZ = "/healthz"
POST_PATH = "/open311/v2/requests.json"
API_PATH = "/api/v1/cases"
API_USER = "bench_api"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
SEED = 410102


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"WANGGE_DEBUG", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="wangge.settings",
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WANGGE_OPEN311_POSTS_PER_MINUTE="1000000",
        WANGGE_LOG_LEVEL="WARNING",
    )
    return env


def start_server(port: int, database_url: str, log_path: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "wangge.wsgi:application",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    log_file = log_path.open("wb")
    return subprocess.Popen(
        command, env=server_environment(database_url), stdout=log_file, stderr=log_file
    )


def wait_ready(server: subprocess.Popen, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}): {log_path.read_text()}")
        with contextlib.suppress(OSError):
            if exchange(port, request_bytes("GET", HEALTHZ, port))[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s")


def stop_server(server: subprocess.Popen) -> int:
    """SIGTERM: gunicorn lets the workers finish their request and exit."""
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        raise RuntimeError("gunicorn did not stop within 30 s of SIGTERM") from None


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_of(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
    return pids


def server_cpu(master: int) -> float:
    total = 0.0
    for pid in [master, *workers_of(master)]:
        with contextlib.suppress(OSError):
            total += _cpu_seconds(pid)
    return total


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]
    return (sum(values) - idle) / tick, sum(values) / tick


# --- The clients --------------------------------------------------------------------------------


def request_bytes(
    method: str, path: str, port: int, body: bytes = b"", headers=(), content_type: str = FORM
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if method == "POST":
        lines += [
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
        ]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def exchange(port: int, payload: bytes) -> tuple[int, bytes]:
    """One request on a new connection; the status and the whole answer (read to EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(payload)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    answer = b"".join(chunks)
    return int(answer[9:12]), answer


class Posts:
    """Open311 posts, each with its own point, service code and Idempotency-Key."""

    def __init__(self, port: int, grids: list):
        self.port = port
        self.boxes = [(g.min_lng, g.min_lat, g.max_lng, g.max_lat) for g in grids]

    def form(self, client: str, number: int, rng: random.Random) -> tuple[bytes, str]:
        """The form-encoded body and the Idempotency-Key of one post."""
        west, south, east, north = rng.choice(self.boxes)
        margin = (east - west) * 0.05
        body = urlencode(
            {
                "api_key": API_KEY,
                "service_code": rng.choice(SERVICE_CODES),
                "lat": f"{rng.uniform(south + margin, north - margin):.6f}",
                "long": f"{rng.uniform(west + margin, east - margin):.6f}",
                "description": f"{rng.choice(PROBLEMS)}（基准测试 {client}-{number}）",
            }
        ).encode()
        return body, f"bench-{os.getpid()}-{client}-{number}"

    def __call__(self, client: str, number: int, rng: random.Random) -> bytes:
        body, key = self.form(client, number, rng)
        return request_bytes("POST", POST_PATH, self.port, body, [("Idempotency-Key", key)])


class ApiPosts(Posts):
    """``POST /api/v1/cases`` as another system files them: JSON, a bearer token of a district
    administrator, a category, a point inside one of the grids and an Idempotency-Key."""

    def __init__(self, port: int, grids: list, token: str):
        super().__init__(port, grids)
        self.token = token

    def json(self, client: str, number: int, rng: random.Random) -> tuple[bytes, str]:
        west, south, east, north = rng.choice(self.boxes)
        margin = (east - west) * 0.05
        body = json.dumps(
            {
                "category": rng.choice(SERVICE_CODES),
                "channel": "phone",
                "lat": round(rng.uniform(south + margin, north - margin), 6),
                "lng": round(rng.uniform(west + margin, east - margin), 6),
                "description": f"{rng.choice(PROBLEMS)}（基准测试 API {client}-{number}）",
            },
            ensure_ascii=False,
        ).encode()
        return body, f"bench-api-{os.getpid()}-{client}-{number}"

    def __call__(self, client: str, number: int, rng: random.Random) -> bytes:
        body, key = self.json(client, number, rng)
        headers = [("Idempotency-Key", key), ("Authorization", f"Bearer {self.token}")]
        return request_bytes("POST", API_PATH, self.port, body, headers, content_type=JSON)


@dataclass
class Load:
    """What the clients saw in one phase."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # no HTTP answer at all
    sample_error: str = ""
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    machine_busy: float = 0.0
    machine_total: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        bad = sum(count for status, count in self.statuses.items() if not 200 <= status < 300)
        return bad + sum(self.failures.values())

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "requests/s": round(self.rate, 1),
            "p50 ms": round(self.percentile(50), 1),
            "p99 ms": round(self.percentile(99), 1),
            "answers": {str(status): count for status, count in sorted(self.statuses.items())},
            "errors": self.errors,
            "clients' CPU, share of the machine": f"{self.client_share:.0%}",
            "server CPU ms/request": round(self.server_cpu / max(self.requests, 1) * 1000, 2),
            "machine busy": f"{self.machine_busy / max(self.machine_total, 1e-9):.0%}",
        }

    @property
    def client_share(self) -> float:
        return self.client_cpu / max(self.machine_total, 1e-9)


def drive(port: int, make, seconds: float, master: int, seed: int, clients: int = CLIENTS) -> Load:
    """``clients`` threads sending ``make(client, n, rng)`` back to back for ``seconds``;
    ``client`` names the thread and the phase (``seed``), so keys never repeat."""
    load = Load()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        latencies, statuses, failures, sample = [], Counter(), Counter(), ""
        start.wait()
        sent = 0
        while time.perf_counter() < deadline[0]:
            payload = make(f"{seed}.{number}", sent, rng)
            sent += 1
            began = time.perf_counter()
            try:
                status, answer = exchange(port, payload)
            except OSError as exc:
                failures[type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - began)
            statuses[status] += 1
            if not 200 <= status < 300 and not sample:
                sample = answer[:600].decode("utf-8", "replace")
        with lock:
            load.latencies += latencies
            load.statuses.update(statuses)
            load.failures.update(failures)
            load.sample_error = load.sample_error or sample

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    cpu, server = time.process_time(), server_cpu(master)
    busy, total = machine_busy()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - began
    load.client_cpu = time.process_time() - cpu
    load.server_cpu = server_cpu(master) - server
    busy_end, total_end = machine_busy()
    load.machine_busy, load.machine_total = busy_end - busy, total_end - total
    return load


def wrk_healthz(port: int, seconds: float) -> dict | None:
    """``GET /healthz`` from ``wrk`` (a C client, 2 threads, the same 16 connections), when
    installed: a check on how much the Python clients hold the floor down."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    command = [wrk, "-t2", f"-c{CLIENTS}", f"-d{seconds:g}s", "--latency"]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{HEALTHZ}"], capture_output=True, text=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rate is None:
        return {"wrk said": out[-300:]}
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "requests/s": float(rate[1]),
        "p99 ms": round(float(p99[1]) * scale[p99[2]], 1) if p99 else None,
        "errors": int(errors[1]) if errors else 0,
    }


def get_healthz(port: int):
    payload = request_bytes("GET", HEALTHZ, port)
    return lambda client, number, rng: payload


# --- The run ------------------------------------------------------------------------------------


def prepare(log) -> list:
    log("intake: migrating the throwaway database, territory and Open311 client")
    call_command("migrate", verbosity=0)
    grids = build_territory()
    create_open311_client(actor=None, name="bench", key=API_KEY)
    offered = set(
        offered_categories()
        .filter(code__in=SERVICE_CODES, has_questions=False)
        .values_list("code", flat=True)
    )
    if offered != set(SERVICE_CODES):
        missing = ", ".join(sorted(set(SERVICE_CODES) - offered))
        raise AssertionError(f"not offered through Open311 without questions: {missing}")
    return grids


def api_token(grids) -> str:
    """A bearer token of a district administrator over the benchmark's district."""
    from wangge.accounts import services as accounts
    from wangge.territory.models import Node

    root = Node.objects.get(pk=int(grids[0].path.strip("/").split("/")[0]))
    user = accounts.create_user(actor=None, username=API_USER, display_name="bench")
    accounts.add_membership(actor=None, user=user, node=root, role="district_admin")
    key, _token = accounts.issue_token(user=user, name="bench")
    return key


def in_process(grids, runs: int, profile: bool) -> tuple[dict, str]:
    """The same two requests through Django's test client, one at a time, no HTTP server:
    what the application itself costs (rolled back). With ``profile``, cProfile of the posts."""
    client = Client(HTTP_HOST="127.0.0.1")
    posts = Posts(0, grids)
    rng = random.Random(SEED)
    profiler = cProfile.Profile() if profile else None
    timings = {}
    with override_settings(WANGGE_OPEN311_POSTS_PER_MINUTE=10**9), transaction.atomic():
        for _ in range(20):  # warm
            client.get(HEALTHZ)
        began = time.perf_counter()
        for _ in range(runs):
            client.get(HEALTHZ)
        timings["healthz ms"] = round((time.perf_counter() - began) / runs * 1000, 2)
        forms = [posts.form("in-process", number, rng) for number in range(runs + 20)]
        for body, key in forms[:20]:
            client.post(POST_PATH, body, FORM, HTTP_IDEMPOTENCY_KEY=key)
        if profiler:
            profiler.enable()
        began = time.perf_counter()
        for body, key in forms[20:]:
            answer = client.post(POST_PATH, body, FORM, HTTP_IDEMPOTENCY_KEY=key)
            if answer.status_code != 201:
                problem = answer.content[:300].decode("utf-8", "replace")
                raise AssertionError(f"in-process post: {answer.status_code} {problem}")
        timings["POST ms"] = round((time.perf_counter() - began) / runs * 1000, 2)
        if profiler:
            profiler.disable()
        transaction.set_rollback(True)
    return timings, _profile_text(profiler) if profiler else ""


def _profile_text(profiler, top: int = 30) -> str:
    import sysconfig

    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    for order in ("cumulative", "tottime"):
        out.write(f"\n--- sorted by {order} ---\n")
        stats.sort_stats(order).print_stats(top)
    text = out.getvalue()
    for prefix, short in [
        (sysconfig.get_paths()["purelib"], "site-packages"),
        (sysconfig.get_paths()["stdlib"], "stdlib"),
        (str(Path(__file__).resolve().parent.parent / "src"), "src"),
    ]:
        text = text.replace(prefix, short)
    return text


def run(
    *, quick: bool, folder: Path, database_url: str, profile: bool = False, log=print
) -> list[Figure]:
    size = SIZES["quick" if quick else "full"]
    grids = prepare(log)
    token = api_token(grids)
    vendor = connection.vendor
    connection.close()  # the server's workers are the only ones writing from here on
    port = free_port()
    log_path = folder / f"gunicorn-{vendor}.log"
    log(f"intake: gunicorn, {WORKERS} sync workers, on 127.0.0.1:{port} ({vendor})")
    server = start_server(port, database_url, log_path)
    kinds = [
        ("healthz", get_healthz(port)),
        ("open311", Posts(port, grids)),
        ("api", ApiPosts(port, grids, token)),
    ]
    try:
        wait_ready(server, port, log_path)
        phases = {}
        for clients in CLIENT_COUNTS:
            for label, make in kinds:
                seed = SEED + len(phases) * 7
                log(f"intake: {label}, {clients} clients, warm-up {size['warmup']:g} s")
                warm = drive(port, make, size["warmup"], server.pid, seed, clients)
                log(f"intake: {label}, {clients} clients, {size['seconds']:g} s")
                load = drive(port, make, size["seconds"], server.pid, seed + 1, clients)
                phases[label, clients] = (warm, load)
                log(f"  {load.summary()}")
                if load.sample_error:
                    log(f"  first error answer: {load.sample_error}")
        log("intake: healthz again from wrk, if installed")
        by_wrk = wrk_healthz(port, size["seconds"])
    finally:
        stopped = stop_server(server)
    if stopped != 0:
        log(f"intake: gunicorn exited with {stopped}: {log_path.read_text()[-2000:]}")

    created = sum(
        load.statuses.get(201, 0)
        for (label, _clients), loads in phases.items()
        if label != "healthz"
        for load in loads
    )
    cases = Case.objects.count()
    if cases != created:
        raise AssertionError(f"{created} answers were 201 Created, but there are {cases} cases")
    timings, profile_text = in_process(grids, 100 if quick else 300, profile)
    if profile_text:
        log(profile_text)

    common = {
        "gunicorn sync workers": WORKERS,
        "seconds per phase": size["seconds"],
        "cases created (201) in all phases, warm-ups included": created,
        "cases in the database afterwards": cases,
        "one request at a time in process, no HTTP (Django test client)": timings,
    }
    figures = []
    for clients in CLIENT_COUNTS:
        healthz = phases["healthz", clients][1]
        for label, title in [
            ("open311", "Open311 POST requests"),
            ("api", "API POST /api/v1/cases"),
        ]:
            post = phases[label, clients][1]
            suffix = "" if clients == CLIENTS else f"_c{clients}"
            name = "open311_post" if label == "open311" else "api_post"
            extra = {}
            if label == "open311" and clients == CLIENTS:
                extra = (
                    {
                        "GET /healthz from wrk (C client)": by_wrk,
                        "ratio against wrk's healthz": round(post.rate / by_wrk["requests/s"], 3),
                    }
                    if by_wrk and "requests/s" in by_wrk
                    else {"GET /healthz from wrk": "wrk not installed"}
                )
            figures += [
                Figure(
                    name=f"intake.{name}{suffix}.{vendor}",
                    title=f"{title} under gunicorn, {clients} clients ({vendor})",
                    value=post.rate,
                    unit="requests/s",
                    floor=healthz.rate,
                    floor_title=f"GET /healthz on the same server, {clients} clients, same run",
                    ratio=post.rate / healthz.rate,
                    ratio_means="product ÷ floor (higher is better)",
                    goal=Goal(min_ratio=0.3),
                    detail={
                        "clients": clients,
                        **common,
                        "POST": post.summary(),
                        "GET /healthz": healthz.summary(),
                        "errors (non-2xx or no answer)": post.errors + healthz.errors,
                        **extra,
                    },
                    appendix=profile_text if label == "open311" and clients == CLIENTS else "",
                ),
                Figure(
                    name=f"intake.{name}_p99{suffix}.{vendor}",
                    title=f"{title}, p99 latency, {clients} clients ({vendor})",
                    value=post.percentile(99),
                    unit="ms",
                    floor=healthz.percentile(99),
                    floor_title="p99 of GET /healthz on the same server, same run",
                    ratio=post.percentile(99) / healthz.percentile(99),
                    ratio_means="product ÷ floor (lower is better)",
                    detail={
                        "p50 ms": round(post.percentile(50), 1),
                        "healthz p50 ms": round(healthz.percentile(50), 1),
                        "requests": post.requests,
                        "errors": post.errors,
                    },
                ),
            ]
    return figures
