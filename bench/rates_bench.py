"""The three rates of one street over the last year, from the roll-ups, at 10k, 100k and 1M cases.

The district has 10 streets × 10 communities × 10 grids (1,000 grids, boxes), made through
``territory.services.create_node``; a grid worker for every grid and a staff member for
every community handle its cases. The cases are made by ``bench/caseload.py``: spread
evenly over the last 365 days and over the grids, their categories drawn from the current
tree's leaves with skewed weights (a few kinds of problem make most of the work), their
channels mixed; each case's life is drawn (acceptance after about an hour against a 2-hour
limit, finishing after about three days against a 5-day promise, verification, callback and
rating), and cut at the present, so old cases are closed and recent ones open in every state
(with the yellow or red mark the sweep would give); a few are parked, escalated, handed to
an agency, sent back for rework, reopened, merged or void. They are written in bulk
(``wangge.core.bulk.insert``), then ``metrics.rebuild()`` recomputes the roll-ups (timed and
shown); sizes grow by adding cases, so each size holds the last one's cases too. On
PostgreSQL the tables are then vacuumed and analysed, as autovacuum would after such a load.

Timed at each size, warm, as the district's administrator (bearer token): (a) the product,
``GET /api/v1/metrics?node=<street>&since=<12 months ago>&until=<this month>`` through
Django's test client (middleware, authentication, scope, the sum of the per-grid roll-up
``GridRollup``, the JSON); (b) the same with ``group_by=node`` (the street's communities);
(c) the comparison — the same counts
straight from the cases table, one SQL aggregate with conditional counts matching
``metrics.facts``, over the street's grids and the months' local-time bounds: the scan the
roll-ups avoid. (a), (b) and (c) must give the same counts. The roll-up query of (a) is also
timed alone (its SQL, no HTTP), to tell the database's part from the application's. Each is
run 30 times after two untimed runs (the scan fewer when it is slow, at least 5), and p50
and p99 are shown; with 30 runs p99 lies between the two slowest.

Goals: (a) under 300 ms at p99 at 1M cases on PostgreSQL; and its cost growing far slower
than the number of cases, taken as: its p50 grows at most as the square root of the number
of cases (under 10× from 10k to 1M, 100× the cases), on either database.
"""

from __future__ import annotations

import cProfile
import datetime
import io
import math
import pstats
import random
import time
from pathlib import Path

import numpy as np
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caseload import CaseMaker, fill, vacuum
from figures import Figure, Goal
from wangge.accounts.choices import Role
from wangge.accounts.models import User
from wangge.accounts.services import add_membership, create_user, issue_token
from wangge.cases import metrics
from wangge.cases.choices import Rating, State
from wangge.cases.models import Agency, Case, Category, GridRollup
from wangge.territory import services as territory
from wangge.territory.choices import NodeKind
from wangge.territory.models import Node

SIZES = {"full": [10_000, 100_000, 1_000_000], "quick": [10_000, 30_000]}
RUNS, SCAN_BUDGET_SECONDS, MIN_SCAN_RUNS = 30, 20.0, 5
STREETS, COMMUNITIES, GRIDS = 10, 10, 10
DISTRICT = "410102"
WEST, SOUTH, CELL = 113.55, 34.70, 0.002  # a grid is a CELL × CELL box
SEED = 410102
GOAL_MS = 300

STREET_NAMES = "棉纺秦岭三官庙林山寨建设桐柏中原西路汝河须水绿东"


# --- The district -------------------------------------------------------------------------------


def _box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@transaction.atomic
def build_district() -> tuple[Node, list[Node], dict[int, int]]:
    """The district, its streets, communities and grids; the streets, and each grid's
    community id."""
    side = COMMUNITIES * GRIDS * CELL
    district = territory.create_node(
        actor=None,
        kind=NodeKind.DISTRICT,
        code=DISTRICT,
        name="中原区",
        geometry_json=_box(WEST, SOUTH, WEST + STREETS * side, SOUTH + side),
    )
    streets, community_of = [], {}
    for s in range(STREETS):
        west = WEST + s * side
        street = territory.create_node(
            actor=None,
            kind=NodeKind.STREET,
            code=f"{DISTRICT}{s + 1:03d}",
            name=f"{STREET_NAMES[2 * s : 2 * s + 2]}街道",
            parent=district,
            geometry_json=_box(west, SOUTH, west + side, SOUTH + side),
        )
        streets.append(street)
        for c in range(COMMUNITIES):
            south = SOUTH + c * GRIDS * CELL
            community = territory.create_node(
                actor=None,
                kind=NodeKind.COMMUNITY,
                code=f"{street.code}{c + 1:03d}",
                name=f"第{c + 1}社区",
                parent=street,
                geometry_json=_box(west, south, west + side, south + GRIDS * CELL),
            )
            for g in range(GRIDS):
                grid_west = west + g * CELL
                grid = territory.create_node(
                    actor=None,
                    kind=NodeKind.GRID,
                    code=f"{community.code}{g + 1:03d}",
                    name=f"第{g + 1}网格",
                    parent=community,
                    geometry_json=_box(grid_west, south, grid_west + CELL, south + CELL),
                )
                community_of[grid.pk] = community.pk
    return district, streets, community_of


@transaction.atomic
def build_people(district: Node, community_of: dict[int, int]) -> tuple[str, dict, dict]:
    """The district administrator's token; a worker for each grid, staff for each community."""
    admin = create_user(actor=None, username="bench_district", display_name="区管理员")
    add_membership(actor=None, user=admin, node=district, role=Role.DISTRICT_ADMIN)
    key, _token = issue_token(user=admin, name="bench")
    names = [f"grid{grid}" for grid in community_of] + [
        f"community{community}" for community in sorted(set(community_of.values()))
    ]
    User.objects.bulk_create([User(username=name, password="!") for name in names])
    ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    workers = {grid: ids[f"grid{grid}"] for grid in community_of}
    staff = {community: ids[f"community{community}"] for community in set(community_of.values())}
    return key, workers, staff


# --- The three ways -----------------------------------------------------------------------------


def year_window(now) -> tuple[str, str, datetime.datetime, datetime.datetime]:
    """The last 12 months, this one included: as ``since``/``until`` and as local-time bounds."""
    local = timezone.localtime(now)
    first = local.date().replace(day=1)
    for _ in range(11):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    after = (local.date().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time(), zone)
    end = datetime.datetime.combine(after, datetime.time(), zone)
    return f"{first:%Y-%m}", f"{local:%Y-%m}", start, end


def scan(street: Node, start, end) -> dict:
    """The comparison: the counts of ``metrics.facts`` straight from the cases."""
    accepted = Q(accepted_at__isnull=False)
    done = Q(done_at__isnull=False)
    closed = Q(state=State.CLOSED)
    handled = done & accepted & Q(done_at__gte=F("accepted_at"))
    counts = (
        Case.objects.filter(
            grid_id__in=Node.objects.filter(path__startswith=street.path).values("pk"),
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(state__in=[State.MERGED, State.VOID])
        .aggregate(
            received=Count("pk"),
            responded=Count("pk", filter=accepted),
            responded_in_time=Count(
                "pk",
                filter=accepted
                & (Q(respond_by__isnull=True) | Q(accepted_at__lte=F("respond_by"))),
            ),
            done=Count("pk", filter=done),
            done_in_time=Count(
                "pk", filter=done & (Q(due_at__isnull=True) | Q(done_at__lte=F("due_at")))
            ),
            closed=Count("pk", filter=closed),
            solved=Count("pk", filter=closed & ~Q(rating=Rating.DISSATISFIED)),
            rated=Count("pk", filter=~Q(rating="")),
            satisfied=Count("pk", filter=Q(rating__in=[Rating.SATISFIED, Rating.FAIRLY])),
            reworked=Count("pk", filter=done & (Q(rework_count__gt=0) | Q(reopen_count__gt=0))),
            handling=Sum(
                ExpressionWrapper(F("done_at") - F("accepted_at"), output_field=DurationField()),
                filter=handled,
            ),
        )
    )
    handling = counts.pop("handling")
    counts["handling_seconds"] = int(handling.total_seconds()) if handling else 0
    return metrics.summarize(counts)


def timed(work, runs: int, budget: float | None = None) -> tuple[list[float], object]:
    """Wall milliseconds of ``runs`` calls (fewer if ``budget`` seconds run out, at least
    ``MIN_SCAN_RUNS``), after two untimed ones; and what the last returned."""
    result = work()
    work()
    times = []
    began = time.perf_counter()
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
        if budget and len(times) >= MIN_SCAN_RUNS and time.perf_counter() - began > budget:
            break
    return times, result


def p(times: list[float], q: float) -> float:
    return float(np.percentile(times, q))


def measure(client: Client, street: Node, now, log) -> dict:
    since, until, start, end = year_window(now)
    query = {"node": street.pk, "since": since, "until": until}

    def product():
        answer = client.get("/api/v1/metrics", query)
        assert answer.status_code == 200, answer.content[:500]
        return answer.json()

    def by_node():
        answer = client.get("/api/v1/metrics", {**query, "group_by": "node"})
        assert answer.status_code == 200, answer.content[:500]
        return answer.json()

    product_ms, rows = timed(product, RUNS)
    node_ms, node_rows = timed(by_node, RUNS)
    scan_ms, scanned = timed(lambda: scan(street, start, end), RUNS, SCAN_BUDGET_SECONDS)
    with CaptureQueriesContext(connection) as scan_queries:
        scan(street, start, end)
    with CaptureQueriesContext(connection) as product_queries:
        product()
    with CaptureQueriesContext(connection) as node_queries:
        by_node()

    rollup_sql = next(
        q["sql"] for q in product_queries.captured_queries if "gridrollup" in q["sql"]
    )
    sql_ms, _rows = timed(lambda: _execute(rollup_sql), RUNS)

    total = {key: value for key, value in rows[0].items() if key not in ("key", "label")}
    if total != scanned:
        raise AssertionError(f"the roll-ups and the cases disagree:\n{total}\n{scanned}")
    summed = {name: sum(row[name] for row in node_rows) for name in ("received", "closed")}
    if summed != {name: total[name] for name in summed}:
        raise AssertionError(f"group_by=node sums to {summed}, not the street's total")
    street_rows = GridRollup.objects.filter(
        grid_id__in=Node.objects.filter(path__startswith=street.path).values("pk"),
        month__gte=start.date(),
        month__lt=end.date(),
    ).count()
    return {
        "window": f"{since} … {until}",
        "street's cases in the window": total["received"],
        "roll-up rows summed": street_rows,
        "product": _times(product_ms),
        "product queries": len(product_queries),
        "roll-up SQL alone": _times(sql_ms),
        "by node": _times(node_ms),
        "by node queries": len(node_queries),
        "scan": _times(scan_ms),
        "rates": {
            name: total[name]
            for name in ("response_rate", "on_time_rate", "solve_rate", "satisfaction_rate")
        },
        "_sql": [q["sql"] for q in product_queries.captured_queries],
        "_node_sql": [q["sql"] for q in node_queries.captured_queries],
        "_scan_sql": scan_queries.captured_queries[-1]["sql"],
        "_times": {"product": product_ms, "by node": node_ms, "scan": scan_ms},
    }


def _execute(sql: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _times(values: list[float]) -> dict:
    return {
        "p50 ms": round(p(values, 50), 2),
        "p99 ms": round(p(values, 99), 2),
        "runs": len(values),
    }


def explain(result: dict) -> str:
    """The plans of the product's roll-up sum and of the scan, as run at the largest size:
    ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite."""
    rollup = next((sql for sql in result["_sql"] if "cases_gridrollup" in sql), None)
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    out = []
    with connection.cursor() as cursor:
        for title, sql in [
            ("the product's roll-up sum", rollup),
            ("the scan: the same counts from the cases", result["_scan_sql"]),
        ]:
            if sql:
                cursor.execute(prefix + sql)
                plan = [" | ".join(str(v) for v in row) for row in cursor.fetchall()]
                out += [f"-- {title}", sql, *plan, ""]
    return "\n".join(out)


def profile_product(client: Client, street: Node, now, runs: int = 30) -> str:
    since, until, _start, _end = year_window(now)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get("/api/v1/metrics", {"node": street.pk, "since": since, "until": until})
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    return out.getvalue().replace(str(Path(__file__).resolve().parent.parent / "src"), "src")


# --- The run ------------------------------------------------------------------------------------


def run(*, quick: bool, profile: bool = False, log=print) -> list[Figure]:
    sizes = SIZES["quick" if quick else "full"]
    vendor = connection.vendor
    log(f"rates: migrating the throwaway database, 1,000 grids ({vendor})")
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    district, streets, community_of = build_district()
    key, workers, staff = build_people(district, community_of)
    log(f"rates: territory and people in {time.perf_counter() - began:.1f} s")
    leaves = [
        (c.pk, c.default_kind, c.name)
        for c in Category.objects.filter(
            tree__is_current=True, is_active=True, children=None, counts_as_problem=True
        )
    ]
    random.Random(SEED).shuffle(leaves)
    now = timezone.now().replace(microsecond=0)
    maker = CaseMaker(
        now,
        community_of,
        workers,
        staff,
        leaves,
        Agency.objects.values_list("pk", flat=True).first(),
        np.random.default_rng(SEED),
    )
    client = Client(headers={"Authorization": f"Bearer {key}"})
    street = streets[STREETS // 2]

    results, have, appendix = {}, 0, ""
    for size in sizes:
        log(f"rates: writing cases up to {size:,}")
        fill_seconds = fill(maker, have, size, log)
        have = size
        log(f"rates: metrics.rebuild() over {size:,} cases")
        began = time.perf_counter()
        with transaction.atomic():
            metrics.rebuild()
        rollups = GridRollup.objects.count()
        rebuild_seconds = time.perf_counter() - began
        vacuum()
        log(f"rates: measuring at {size:,} cases")
        result = measure(client, street, now, log)
        result.update(
            {
                "cases": size,
                "write seconds": round(fill_seconds, 1),
                "rebuild seconds": round(rebuild_seconds, 1),
                "roll-up rows": rollups,
            }
        )
        results[size] = result
        log(
            "  "
            + ", ".join(
                f"{label} p50 {result[label]['p50 ms']} / p99 {result[label]['p99 ms']} ms"
                for label in ("product", "by node", "scan")
            )
            + f"; {result['roll-up rows summed']:,} roll-up rows summed"
            + f"; written in {fill_seconds:.1f} s, rebuild {rebuild_seconds:.1f} s"
        )
    largest, smallest = results[sizes[-1]], results[sizes[0]]
    appendix = explain(largest)
    if profile:
        appendix += "\n\n" + profile_product(client, street, now)
    if appendix:
        log(appendix)
    title = "Query plans at the largest size"
    if profile:
        title += ", then cProfile of 30 product requests (the profiler slows them down)"
    return figures(vendor, sizes, results, largest, smallest, appendix, title)


def _pair(times: dict) -> str:
    return f"{times['p50 ms']} / {times['p99 ms']} ({times['runs']} runs)"


def _size_line(result: dict) -> dict:
    return {
        "street's cases in the window": result["street's cases in the window"],
        "roll-up rows summed (of all)": (
            f"{result['roll-up rows summed']:,} (of {result['roll-up rows']:,})"
        ),
        "product p50 / p99 ms": _pair(result["product"]),
        "its roll-up SQL alone p50 / p99 ms": _pair(result["roll-up SQL alone"]),
        "by node p50 / p99 ms": _pair(result["by node"]),
        "scan p50 / p99 ms": _pair(result["scan"]),
        "queries: product, by node": f"{result['product queries']}, {result['by node queries']}",
        "seconds: writing the added cases, rebuilding the roll-ups": (
            f"{result['write seconds']}, {result['rebuild seconds']}"
        ),
    }


def figures(vendor, sizes, results, largest, smallest, appendix, title) -> list[Figure]:
    size_text = f"{sizes[-1]:,} cases"
    per_size = {f"{size:,} cases": _size_line(result) for size, result in results.items()}
    goal = Goal(max_value=GOAL_MS) if vendor == "postgresql" else None
    growth_cases = sizes[-1] / sizes[0]

    def growth(label: str) -> float:
        return largest[label]["p50 ms"] / smallest[label]["p50 ms"]

    def span(label: str) -> str:
        return f"{smallest[label]['p50 ms']} → {largest[label]['p50 ms']}"

    product_p99, node_p99, scan_p99 = (
        largest[label]["p99 ms"] for label in ("product", "by node", "scan")
    )
    return [
        Figure(
            name=f"rates.street_year.{vendor}",
            title=f"Rates of one street over a year, {size_text}, p99 ({vendor})",
            value=product_p99,
            unit="ms",
            floor=scan_p99,
            floor_title="p99 of the same counts straight from the cases table (one aggregate)",
            ratio=product_p99 / scan_p99,
            ratio_means="product ÷ scan (lower is better; the scan is what roll-ups avoid)",
            goal=goal,
            appendix_title=title,
            detail={
                "cases": largest["cases"],
                "street's cases in the window": largest["street's cases in the window"],
                "roll-up rows summed": largest["roll-up rows summed"],
                "product p50 ms": largest["product"]["p50 ms"],
                "product queries": largest["product queries"],
                "its roll-up SQL alone p50 ms": largest["roll-up SQL alone"]["p50 ms"],
                "scan p50 ms": largest["scan"]["p50 ms"],
                "rates of the street": largest["rates"],
                "sizes": per_size,
            },
            appendix=appendix,
        ),
        Figure(
            name=f"rates.street_year_by_node.{vendor}",
            title=f"Rates of one street over a year by community, {size_text}, p99 ({vendor})",
            value=node_p99,
            unit="ms",
            floor=scan_p99,
            floor_title="p99 of the street's counts straight from the cases table",
            ratio=node_p99 / scan_p99,
            ratio_means="product ÷ scan (lower is better)",
            goal=goal,
            detail={
                "by node p50 ms": largest["by node"]["p50 ms"],
                "by node queries": largest["by node queries"],
                "by node p50 / p99 ms, by size": {
                    f"{size:,} cases": _pair(result["by node"]) for size, result in results.items()
                },
            },
        ),
        Figure(
            name=f"rates.growth.{vendor}",
            title=(
                f"Growth of the street's rates time, {sizes[0]:,} → {sizes[-1]:,} cases"
                f" ({growth_cases:g}×) ({vendor})"
            ),
            value=growth("product"),
            unit="×",
            floor=growth("scan"),
            floor_title="growth of the scan's time over the same sizes",
            ratio=growth("product") / growth("scan"),
            ratio_means="product's growth ÷ scan's growth (lower is better)",
            goal=Goal(max_value=math.sqrt(growth_cases)),
            detail={
                "cases": f"{sizes[0]:,} → {sizes[-1]:,}",
                **{f"{label} p50 ms": span(label) for label in ("product", "by node", "scan")},
                "roll-up rows summed": (
                    f"{smallest['roll-up rows summed']:,} → {largest['roll-up rows summed']:,}"
                ),
                "goal": "time grows at most as the square root of the number of cases",
            },
        ),
    ]
