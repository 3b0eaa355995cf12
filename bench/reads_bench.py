"""Server time of the console's reads at 1M cases: the case list, the map's layers, the dashboard.

The demo district (8 streets, 12 communities, 98 grids and their micro-grids, its accounts,
buildings and households, a year of story cases) is built in a throwaway database; then
1,000,000 more cases (20,000 with ``--quick``) are written over its grids and micro-grids by
``bench/caseload.py`` (the rates benchmark's year of cases: realistic states, yellow and red
marks, categories and channels), each at a position inside its grid and each dispatched one
with its handler's task (the grid's worker; now and then the community's staff; one in a
hundred the worker of another grid of the community, asked to help, so grid workers also see
cases outside their grid through their tasks). The
roll-ups are then recomputed (``metrics.rebuild()``), so the dashboard reads what the
services would have kept, and on PostgreSQL the tables are vacuumed and analysed.

Each read is timed in process through Django's test client: the whole request through the
middleware (session, authentication, scope, the queries, the template or the JSON, gzip
where the view compresses, asked for with ``Accept-Encoding: gzip`` as browsers do), without
the network. The personas are the demo's street (``street_zyxl``, about a sixth of the
cases), community (``community_lvdu``) and grid worker (``gridworker_lvdu1``), and the
district's administrator (``district``, every case). The reads: the console's home page
(the queues of what needs me now), the case list's first page, its Late queue
(``?overdue=true``), a category with a state (``?category=<the busiest top category>&state=
closed``) and page 5; the map's layers (``grids.geojson``: grids with their open and late
cases, ``cases.geojson``: the open cases the map clusters, ``buildings.geojson``); and the
dashboard (``/dashboard/``, whose chart data is in the page). Each is requested 5 times
untimed, then 200 times timed (fewer, at least 50, once 90 s are spent; 30 with
``--quick``); p50 and p99 are shown with the number of SQL queries of one request
(``CaptureQueriesContext``), the time those queries took, and the size of the answer as
sent. The slowest query of the slowest persona is shown with its plan (``EXPLAIN ANALYZE``
on PostgreSQL) when it takes 5 ms or more.

The floor is ``GET /healthz`` (the middleware and one ``SELECT 1``), timed the same way in
the same run. Each figure is the worst persona's p99; goal: under 300 ms on PostgreSQL at
1M cases, for every persona.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import time

import numpy as np
import shapely
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max, Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caseload import CaseMaker, fill, vacuum
from figures import Figure, Goal
from wangge.accounts.choices import Role
from wangge.accounts.models import Membership, User
from wangge.cases import metrics
from wangge.cases.models import Agency, Case, Category, Task
from wangge.territory.choices import COMMUNITY_KINDS, GRID_KINDS
from wangge.territory.models import Node

SIZES = {"full": 1_000_000, "quick": 20_000}
RUNS = {"full": 150, "quick": 30}
WARM_UP, MIN_RUNS, BUDGET_SECONDS = 5, 50, 20.0
POINTS_PER_GRID = 64
HELPING = 0.01  # of a grid's cases, given to the worker of another grid of its community
PLAN_FROM_MS = 5.0
SEED = 410102
GOAL_MS = 300
PERSONAS = ["district", "street_zyxl", "community_lvdu", "gridworker_lvdu1"]
HEADERS = {"Accept-Encoding": "gzip, deflate"}


# --- The data -----------------------------------------------------------------------------------


def _points_inside(geometry: dict, rng: np.random.Generator) -> np.ndarray:
    """``POINTS_PER_GRID`` positions drawn evenly inside a grid's boundary."""
    shape = shapely.geometry.shape(geometry)
    west, south, east, north = shape.bounds
    found: list[np.ndarray] = []
    while sum(len(chunk) for chunk in found) < POINTS_PER_GRID:
        lng = rng.uniform(west, east, 4 * POINTS_PER_GRID)
        lat = rng.uniform(south, north, 4 * POINTS_PER_GRID)
        keep = shapely.contains_xy(shape, lng, lat)
        found.append(np.column_stack([lng[keep], lat[keep]]))
    return np.concatenate(found)[:POINTS_PER_GRID]


def demo_caseload(now) -> tuple[CaseMaker, str]:
    """A ``CaseMaker`` over the demo district's grids and people; and the code of the top
    category most cases fall under."""
    nodes = list(Node.objects.filter(is_active=True).only("id", "kind", "path", "geometry"))
    by_id = {node.pk: node for node in nodes}
    grids = [node for node in nodes if node.kind in GRID_KINDS and node.geometry]

    def above(node, kinds):
        for pk in reversed([*node.ancestor_ids, node.pk]):
            if by_id[pk].kind in kinds:
                return pk
        return None

    roles = {}
    for node_id, role, user_id in Membership.objects.filter(
        is_active=True, role__in=[Role.GRID_WORKER, Role.COMMUNITY_STAFF]
    ).values_list("node_id", "role", "user_id"):
        roles.setdefault((node_id, role), user_id)
    community_of = {grid.pk: above(grid, COMMUNITY_KINDS) for grid in grids}
    staff = {pk: roles[(pk, Role.COMMUNITY_STAFF)] for pk in set(community_of.values())}
    workers = {}
    for grid in grids:
        # A micro-grid's cases go to the worker of the grid it lies in.
        chain = reversed([*grid.ancestor_ids, grid.pk])
        workers[grid.pk] = next(
            roles[(pk, Role.GRID_WORKER)] for pk in chain if (pk, Role.GRID_WORKER) in roles
        )
    rng = np.random.default_rng(SEED + 2)
    points = {grid.pk: _points_inside(grid.geometry, rng) for grid in grids}
    leaves = [
        (c.pk, c.default_kind, c.name)
        for c in Category.objects.filter(
            tree__is_current=True, is_active=True, children=None, counts_as_problem=True
        )
    ]
    random.Random(SEED).shuffle(leaves)
    busiest = Category.objects.select_related("parent").get(pk=leaves[0][0])
    while busiest.parent_id:
        busiest = Category.objects.select_related("parent").get(pk=busiest.parent_id)
    maker = CaseMaker(
        now,
        community_of,
        workers,
        staff,
        leaves,
        Agency.objects.values_list("pk", flat=True).first(),
        np.random.default_rng(SEED),
        points=points,
        tasks=True,
        helping=HELPING,
        extra_rng=np.random.default_rng(SEED + 1),
    )
    return maker, busiest.code


def build(size: int, log) -> dict:
    """The demo district with ``size`` more cases; what was built and how long it took."""
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0)
    demo_cases = Case.objects.count()
    demo_seconds = time.perf_counter() - began
    log(f"reads: demo district in {demo_seconds:.0f} s ({demo_cases:,} cases)")
    maker, category = demo_caseload(timezone.now().replace(microsecond=0))
    log(f"reads: writing {size:,} cases over {len(maker.grids)} grids")
    fill_seconds = fill(maker, 0, size, log)
    began = time.perf_counter()
    with transaction.atomic():
        metrics.rebuild()
    rebuild_seconds = time.perf_counter() - began
    vacuum()
    return {
        "category": category,
        "demo cases": demo_cases,
        "cases": Case.objects.count(),
        "tasks": Task.objects.count(),
        "seconds: demo, writing the cases, rebuilding the roll-ups": (
            f"{demo_seconds:.0f}, {fill_seconds:.0f}, {rebuild_seconds:.0f}"
        ),
    }


# --- The reads ----------------------------------------------------------------------------------


def reads(category: str) -> list[tuple[str, str, dict, str]]:
    """(name, path, query, what it is) of every read timed."""
    return [
        ("home", "/", {}, "the console's home page (with the queues)"),
        ("cases_list", "/cases/", {}, "the case list, first page"),
        ("cases_queue", "/cases/", {"overdue": "true"}, "the case list's Late queue"),
        (
            "cases_filtered",
            "/cases/",
            {"category": category, "state": "closed"},
            "the case list by category and state",
        ),
        ("cases_page5", "/cases/", {"page": "5"}, "the case list, page 5"),
        ("map_grids", "/map/grids.geojson", {}, "the map's grids with open and late cases"),
        ("map_cases", "/map/cases.geojson", PAGE_VIEW, "the map's open cases, as the page asks"),
        ("map_buildings", "/map/buildings.geojson", {}, "the map's buildings"),
        ("dashboard", "/dashboard/", {}, "the dashboard"),
    ]


# The map page asks for the cases of what it shows: the box its grids fill on a 1440×900
# screen (with a quarter more each side) at the zoom Leaflet's fitBounds picks.
PAGE_VIEW = {"bbox": "<the persona's view>", "zoom": "<its zoom>"}
MAP_PIXELS = (1416, 800)


def page_view(username: str) -> dict:
    """``?bbox=&zoom=`` as the map page sends them for ``username``'s grids."""
    user = User.objects.get(username=username)
    box = Node.objects.inside(user).filter(kind__in=GRID_KINDS, geometry__isnull=False)
    box = box.aggregate(
        west=Min("min_lng"), south=Min("min_lat"), east=Max("max_lng"), north=Max("max_lat")
    )

    def mercator(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    width, height = MAP_PIXELS
    spans = (
        (box["east"] - box["west"], width),
        (mercator(box["north"]) - mercator(box["south"]), height),
    )
    zoom = min(math.floor(math.log2(pixels * 360 / (256 * span))) for span, pixels in spans)
    zoom = max(0, min(zoom, 19))
    pad_lng = (box["east"] - box["west"]) / 4
    pad_lat = (box["north"] - box["south"]) / 4
    bbox = (
        box["west"] - pad_lng,
        box["south"] - pad_lat,
        box["east"] + pad_lng,
        box["north"] + pad_lat,
    )
    return {"bbox": ",".join(f"{value:.6f}" for value in bbox), "zoom": str(zoom)}


def clients(personas: list[str]) -> dict[str, Client]:
    signed_in = {}
    for username in personas:
        client = Client(headers=HEADERS)
        client.force_login(User.objects.get(username=username))
        signed_in[username] = client
    return signed_in


def _get(client: Client, path: str, query: dict):
    response = client.get(path, query)
    if response.status_code != 200:
        raise RuntimeError(f"{path} {query}: {response.status_code}")
    return response


def timed(client: Client, path: str, query: dict, runs: int) -> list[float]:
    """Wall milliseconds of ``runs`` requests after ``WARM_UP`` untimed ones (fewer, at least
    ``MIN_RUNS``, once ``BUDGET_SECONDS`` are spent)."""
    for _ in range(WARM_UP):
        _get(client, path, query)
    times = []
    began = time.perf_counter()
    for _ in range(runs):
        start = time.perf_counter()
        _get(client, path, query)
        times.append((time.perf_counter() - start) * 1000)
        if len(times) >= MIN_RUNS and time.perf_counter() - began > BUDGET_SECONDS:
            break
    return times


def _items(response) -> int | None:
    """Features of a GeoJSON answer; cases on a page of the case list."""
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    if response["Content-Type"].startswith("application/geo+json"):
        return len(json.loads(body)["features"])
    return body.count(b'<td class="code">') if b'<table class="data cases">' in body else None


def once(client: Client, path: str, query: dict) -> dict:
    """One request with its queries captured: their number and time, the answer's size."""
    with CaptureQueriesContext(connection) as captured:
        response = _get(client, path, query)
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    body = response.content
    plain = gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body
    slowest = max(queries, default=(0.0, ""))
    return {
        "queries": len(queries),
        "sql ms": round(sum(ms for ms, _sql in queries), 1),
        "slowest": slowest,
        "bytes": len(body),
        "plain bytes": len(plain),
        "gzip": response.get("Content-Encoding") == "gzip",
        "items": _items(response),
    }


def p(times: list[float], q: float) -> float:
    return round(float(np.percentile(times, q)), 2)


def plan(sql: str) -> str:
    postgres = connection.vendor == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    try:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            return "\n".join(" | ".join(str(v) for v in row) for row in cursor.fetchall())
    except Exception as exc:  # a query whose text does not run again as logged
        return f"(no plan: {exc})"


def measure(personas: list[str], category: str, runs: int, log) -> tuple[dict, dict]:
    """Every read for every persona, and the floor; ``{read: {persona: result}}``, floor."""
    signed_in = clients(personas)
    anyone = Client(headers=HEADERS)
    floor_ms = timed(anyone, "/healthz", {}, runs)
    floor = {"p50 ms": p(floor_ms, 50), "p99 ms": p(floor_ms, 99), "runs": len(floor_ms)}
    floor.update({k: v for k, v in once(anyone, "/healthz", {}).items() if k != "slowest"})
    log(f"reads: /healthz p50 {floor['p50 ms']} / p99 {floor['p99 ms']} ms")
    results = {}
    for name, path, query, _title in reads(category):
        results[name] = {}
        for username, client in signed_in.items():
            asked = page_view(username) if query is PAGE_VIEW else query
            times = timed(client, path, asked, runs)
            result = {"p50 ms": p(times, 50), "p99 ms": p(times, 99), "runs": len(times)}
            result.update(once(client, path, asked))
            if query is PAGE_VIEW:
                result["asked"] = "&".join(f"{k}={v}" for k, v in asked.items())
            results[name][username] = result
            log(
                f"reads: {name} as {username}: p50 {result['p50 ms']} / p99 {result['p99 ms']} ms,"
                f" {result['queries']} queries ({result['sql ms']} ms),"
                f" {result['bytes'] / 1024:.1f} KB, {result['items']} items"
            )
    return results, floor


# --- The run ------------------------------------------------------------------------------------


def run(*, quick: bool, log=print) -> list[Figure]:
    size = SIZES["quick" if quick else "full"]
    runs = RUNS["quick" if quick else "full"]
    vendor = connection.vendor
    log(f"reads: the demo district and {size:,} cases ({vendor})")
    data = build(size, log)
    results, floor = measure(PERSONAS, data["category"], runs, log)
    return figures(vendor, size, data, results, floor)


def _size(count: int) -> str:
    return f"{count:,} bytes" if count < 1024 else f"{count / 1024:,.1f} KB"


def _persona_line(result: dict) -> str:
    size = _size(result["bytes"])
    if result["gzip"]:
        size += f" gzip ({_size(result['plain bytes'])} before)"
    items = "" if result["items"] is None else f", {result['items']:,} items"
    if "asked" in result:
        items += f" (?{result['asked']})"
    return (
        f"p50 {result['p50 ms']} / p99 {result['p99 ms']} ms ({result['runs']} runs),"
        f" {result['queries']} queries taking {result['sql ms']} ms, {size}{items}"
    )


def figures(vendor: str, size: int, data: dict, results: dict, floor: dict) -> list[Figure]:
    goal = Goal(max_value=GOAL_MS) if vendor == "postgresql" else None
    size_text = f"{size // 1000:,}k" if size < 1_000_000 else f"{size // 1_000_000}M"
    out = []
    for name, path, query, title in reads(data["category"]):
        per_persona = results[name]
        worst = max(per_persona, key=lambda username: per_persona[username]["p99 ms"])
        value = per_persona[worst]["p99 ms"]
        slowest_ms, slowest_sql = per_persona[worst]["slowest"]
        appendix = ""
        if slowest_ms >= PLAN_FROM_MS:
            appendix = f"-- {slowest_ms:.1f} ms as {worst}\n{slowest_sql}\n{plan(slowest_sql)}"
        shown = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        out.append(
            Figure(
                name=f"reads.{name}.{vendor}",
                title=f"{title[0].upper()}{title[1:]}, {size_text} cases, worst p99 ({vendor})",
                value=value,
                unit="ms",
                floor=floor["p99 ms"],
                floor_title="p99 of GET /healthz in process, same run",
                ratio=value / floor["p99 ms"],
                ratio_means="read ÷ floor (lower is better)",
                goal=goal,
                detail={
                    "request": f"GET {shown}",
                    "slowest persona": worst,
                    "queries (slowest persona)": per_persona[worst]["queries"],
                    "personas": {
                        username: _persona_line(result) for username, result in per_persona.items()
                    },
                    "floor": _persona_line(floor),
                    "database": {
                        key: value for key, value in data.items() if key not in ("category",)
                    },
                },
                appendix=appendix,
                appendix_title="The slowest query of the slowest persona, with its plan",
            )
        )
    return out
