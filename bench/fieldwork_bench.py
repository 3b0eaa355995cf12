"""Field work: visit plans recomputed for 100,000 care-tagged persons.

The database holds the import benchmark's territory (a district, a street, a community and its
20 grids), the care tags and default visit rules of the data migrations, and — written in bulk
(``wangge.core.bulk.insert``) — 50,000 households with 100,000 persons, every one of them with
one or two care tags (living alone, empty nest, disabled with a grade, …; ages from 55 to 95),
and 60,000 home visits over the last year to 40,000 of the households. The community has a
rule of its own for living alone (every 5 days from 80), which replaces the default for that
tag there, so both the defaults and a place's rules are chosen from.

Timed (best of three, wall and this process's CPU): (a) the product,
``fieldwork.plans.recompute()`` — everyone's plan from their tags, age, place and the
household's last visit, upserted, as the daily job and a rule's change run it; (b) the floor,
one bulk insert of the same rows into the emptied plans table (``core.bulk.insert``: ``COPY``
on PostgreSQL): the least any recomputation must write. The ratio (a)/(b) says what reading
the register and choosing the rule costs on top of writing. The plans of (a) are checked
against the rows of (b): the same persons, the same due days. (c) one person's plan after a
care tag changes (``recompute([id])``, as the register's event runs it, inside its
transaction): p50 and p99 of 200.

Goal: (c) under 50 ms at p99 — the register's writes carry it.

A campaign (排查) over the community: 10,000 buildings in its 20 grids, 6,000 of them checked
(one in ten with a hazard), 7,000 checks in all. Timed: (d) its coverage as the campaign's
page and API compute it (``fieldwork.campaigns.coverage`` for the community's staff, every
building with its status and map point), p50 and p99 of 30. Goal: under 300 ms at p99 on
PostgreSQL.

A patrol of seven hours: (e) its trace of 5,000 fixes stored as phones send it — 250 batches
of 20 through ``fieldwork.record_trace`` (checked, deduplicated, audited) — p99 per batch, and
the floor: one bulk insert of the same points; (f) the patrol drawn — its console page, which
cuts the trace at its gaps, measures it and embeds it for the map — p50 and p99 of 30.
"""

from __future__ import annotations

import datetime
import random
import time

import numpy as np
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from figures import Figure, Goal, best_of
from import_bench import build_territory
from wangge.accounts import services as accounts
from wangge.core import bulk
from wangge.fieldwork import campaigns, plans
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.models import (
    Check,
    Checklist,
    CheckResult,
    Patrol,
    TracePoint,
    VisitPlan,
    VisitRule,
)
from wangge.people.models import CareTag, Household, Person, PersonTag, Visit
from wangge.territory.models import Building

SIZES = {"full": 100_000, "quick": 10_000}
BUILDINGS, CHECKED = 10_000, 6_000
FIXES, BATCH = 5_000, 20  # a phone seals a batch every 20 fixes (static/js/patrol.js)
RUNS = 30
SEED = 14
PLAN_FIELDS = [
    "person",
    "rule",
    "tag",
    "every_days",
    "window_days",
    "last_visit_at",
    "due_on",
    "overdue_on",
    "updated_at",
]


def build_register(grids, persons: int, log) -> None:
    """Households, persons, care tags and visits in bulk; a tenth of them under a place rule."""
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    tags = {tag.code: tag for tag in CareTag.objects.all()}
    codes = [
        code
        for code in ("living_alone", "empty_nest", "disabled", "very_old", "tekun")
        if code in tags
    ]
    if not codes:
        codes = list(tags)
    households = persons // 2
    household_ids = bulk.insert(
        Household,
        ["number", "grid", "residence_type", "note", "created_at", "updated_at"],
        (
            [f"BH{n:07d}", grids[n % len(grids)].pk, "registered", "", now, now]
            for n in range(households)
        ),
        returning=True,
    )
    today = timezone.localdate()
    person_ids = bulk.insert(
        Person,
        [
            "grid",
            "household",
            "relation",
            "name",
            "sex",
            "birth_date",
            "status",
            "note",
            "id_number",
            "phone",
            "phone_hash",
            "created_at",
            "updated_at",
        ],
        (
            [
                grids[(n // 2) % len(grids)].pk,
                household_ids[n // 2],
                "head" if n % 2 == 0 else "spouse",
                f"居民{n}",
                "female" if n % 2 else "male",
                today - datetime.timedelta(days=int(365.25 * rng.randint(55, 95))),
                "active",
                "",
                "",
                "",
                "",
                now,
                now,
            ]
            for n in range(persons)
        ),
        returning=True,
    )
    rows = []
    for n, pk in enumerate(person_ids):
        first = codes[n % len(codes)]
        chosen = [first] + ([codes[(n + 1) % len(codes)]] if n % 3 == 0 else [])
        for code in chosen:
            grade = rng.randint(1, 4) if tags[code].has_disability_detail else None
            tagged = now - datetime.timedelta(days=rng.randint(0, 700))
            rows.append([pk, tags[code].pk, "", grade, "", tagged])
    bulk.insert(
        PersonTag,
        ["person", "tag", "disability_category", "disability_grade", "note", "created_at"],
        rows,
    )
    visited = household_ids[: households * 4 // 5]
    bulk.insert(
        Visit,
        ["household", "grid", "kind", "visited_at", "notes", "created_at"],
        (
            [
                household,
                grids[(index) % len(grids)].pk,
                "home",
                now - datetime.timedelta(hours=rng.randint(1, 365 * 24)),
                "",
                now,
            ]
            for index, household in enumerate(visited + visited[: len(visited) // 2])
        ),
    )
    # The community's own rule for living alone: it replaces the default for that tag here.
    community = grids[0].parent
    if "living_alone" in tags:
        VisitRule.objects.create(
            node=community, tag=tags["living_alone"], min_age=80, every_days=5, window_days=1
        )
    log(
        f"fieldwork: {households:,} households, {persons:,} persons, {len(rows):,} care tags, "
        f"{len(visited) * 3 // 2:,} visits"
    )


def floor_rows() -> list[list]:
    return [
        [
            getattr(plan, name + "_id" if name in ("person", "rule", "tag") else name)
            for name in PLAN_FIELDS
        ]
        for plan in VisitPlan.objects.order_by("person_id")
    ]


def run(*, quick: bool, log=print) -> list[Figure]:
    persons = SIZES["quick" if quick else "full"]
    vendor = connection.vendor
    log(f"fieldwork: migrating the throwaway database ({vendor})")
    call_command("migrate", verbosity=0)
    grids = build_territory()
    began = time.perf_counter()
    with transaction.atomic():
        build_register(grids, persons, log)
    log(f"fieldwork: register written in {time.perf_counter() - began:.1f} s")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def product():
        with transaction.atomic():
            return plans.recompute()

    timing, written = best_of(3, product)
    rows = floor_rows()
    due = {row[0]: row[6] for row in rows}

    def floor():
        with transaction.atomic():
            VisitPlan.objects.all().delete()
            bulk.insert(VisitPlan, PLAN_FIELDS, rows)

    floor_timing, _ = best_of(3, floor)
    again = dict(VisitPlan.objects.values_list("person_id", "due_on"))
    if again != due or written != len(rows):
        raise AssertionError("the bulk insert's rows are not the plans recomputed")
    log(
        f"fieldwork: recompute {written:,} plans {timing.wall:.2f} s (CPU {timing.cpu:.2f}), "
        f"bulk insert {floor_timing.wall:.2f} s (CPU {floor_timing.cpu:.2f})"
    )

    ids = list(PersonTag.objects.values_list("person_id", flat=True)[:200])
    one = []
    for pk in ids:
        began = time.perf_counter()
        with transaction.atomic():
            plans.recompute([pk])
        one.append((time.perf_counter() - began) * 1000)
    p50, p99 = (round(float(v), 2) for v in np.percentile(one, [50, 99]))
    log(f"fieldwork: one person's plan p50 {p50} ms, p99 {p99} ms")
    return [
        *_plan_figures(vendor, persons, written, timing, floor_timing, p50, p99),
        *run_campaign(grids, vendor, log),
        *run_patrol(grids, vendor, log),
    ]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    p50, p99 = (round(float(v), 2) for v in np.percentile(samples, [50, 99]))
    return p50, p99


def _timed(runs: int, work) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def _staff(grids):
    """The community's staff, as the campaign's and the patrol's pages are opened."""
    community = grids[0].parent
    user = accounts.create_user(actor=None, username="bench_staff", display_name="基准社区")
    accounts.add_membership(actor=None, user=user, node=community, role="community_staff")
    return user


def build_buildings(grids, log) -> list[int]:
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    ids = bulk.insert(
        Building,
        ["grid", "name", "compound", "address", "lng", "lat", "created_at", "updated_at"],
        (
            [
                grids[n % len(grids)].pk,
                f"{n // len(grids) + 1}号楼",
                f"基准小区{n % 7 + 1}",
                "",
                113.60 + rng.random() * 0.02,
                34.75 + rng.random() * 0.016,
                now,
                now,
            ]
            for n in range(BUILDINGS)
        ),
        returning=True,
    )
    log(f"fieldwork: {len(ids):,} buildings")
    return ids


def run_campaign(grids, vendor: str, log) -> list[Figure]:
    staff = _staff(grids)
    community = grids[0].parent
    with transaction.atomic():
        building_ids = build_buildings(grids, log)
        today = timezone.localdate()
        campaign = fieldwork.create_campaign(
            actor=staff,
            title="冬季消防安全排查",
            checklist=Checklist.objects.order_by("pk").first(),
            node=community,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=14),
        )
        grid_of = dict(Building.objects.filter(pk__in=building_ids).values_list("pk", "grid_id"))
        now = timezone.now()
        rows = []
        for n, pk in enumerate(building_ids[:CHECKED] + building_ids[: CHECKED // 6]):
            hazard = n % 10 == 0
            rows.append(
                [
                    campaign.pk,
                    grid_of[pk],
                    pk,
                    "",
                    staff.pk,
                    now - datetime.timedelta(minutes=n),
                    {},
                    CheckResult.HAZARD if hazard else CheckResult.OK,
                    [],
                    "",
                ]
            )
        bulk.insert(
            Check,
            [
                "campaign",
                "grid",
                "building",
                "place_name",
                "checked_by",
                "checked_at",
                "answers",
                "result",
                "hazards",
                "note",
            ],
            rows,
        )
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result = campaigns.coverage(campaign, staff)
    if len(result.buildings) != BUILDINGS or result.total.checked != CHECKED:
        raise AssertionError(
            f"coverage saw {len(result.buildings)} buildings, {result.total.checked} checked"
        )
    p50, p99 = _percentiles(_timed(RUNS, lambda: campaigns.coverage(campaign, staff)))
    log(f"fieldwork: a campaign's coverage of {BUILDINGS:,} buildings p50 {p50} ms, p99 {p99} ms")
    return [
        Figure(
            name=f"fieldwork.campaign.coverage.{vendor}",
            title=f"A campaign's coverage over {BUILDINGS:,} buildings, {len(rows):,} checks, "
            f"p99 of {RUNS} ({vendor})",
            value=p99,
            unit="ms",
            floor=None,
            floor_title="",
            ratio=None,
            ratio_means="",
            goal=Goal(max_value=300) if vendor == "postgresql" else None,
            detail={
                "p50 ms": p50,
                "checked": result.total.checked,
                "hazards": result.total.hazards,
            },
        )
    ]


def run_patrol(grids, vendor: str, log) -> list[Figure]:
    from wangge.accounts.models import User

    staff = User.objects.get(username="bench_staff")
    grid = grids[0]
    walker = accounts.create_user(actor=None, username="bench_walker", display_name="网格员")
    accounts.add_membership(actor=None, user=walker, node=grid, role="grid_worker")
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(seconds=FIXES * 5 + 60)
    patrol = fieldwork.create_patrol(actor=walker, grid=grid, note="长时巡查", at=start)
    rng = random.Random(SEED)
    points, lng, lat = [], 113.601, 34.751
    for n in range(FIXES):
        lng += rng.uniform(-0.00003, 0.00004)
        lat += rng.uniform(-0.00003, 0.00004)
        points.append(
            {
                "t": (start + datetime.timedelta(seconds=5 * n + 5)).isoformat(),
                "lng": round(lng, 7),
                "lat": round(lat, 7),
                "accuracy": 8,
                # the screen went off twice
                "gap": n in (1_700, 3_400),
            }
        )
    batches = []
    for number, first in enumerate(range(0, FIXES, BATCH)):
        chunk = points[first : first + BATCH]

        def send(chunk=chunk, number=number):
            with transaction.atomic():
                fieldwork.record_trace(
                    actor=walker, patrol=patrol, batch=f"bench-{number}", points=chunk
                )

        batches += _timed(1, send)
    stored = TracePoint.objects.filter(patrol=patrol).count()
    if stored != FIXES:
        raise AssertionError(f"{stored} of {FIXES} fixes stored")
    store_p50, store_p99 = _percentiles(batches)
    rows = list(
        TracePoint.objects.filter(patrol=patrol).values_list(
            "patrol", "batch", "recorded_at", "lng", "lat", "accuracy", "gap_before"
        )
    )

    def floor():
        with transaction.atomic():
            TracePoint.objects.filter(patrol=patrol).delete()
            bulk.insert(
                TracePoint,
                ["patrol", "batch", "recorded_at", "lng", "lat", "accuracy", "gap_before"],
                [list(row) for row in rows],
            )

    floor_timing, _ = best_of(3, floor)
    fieldwork.finish_patrol(actor=walker, patrol=Patrol.objects.get(pk=patrol.pk))
    client = Client()
    client.force_login(staff)
    path = f"/patrols/{patrol.pk}/"
    response = client.get(path)
    if response.status_code != 200 or b"MultiLineString" not in response.content:
        raise AssertionError(f"{path}: {response.status_code}, no trace drawn")
    draw_p50, draw_p99 = _percentiles(_timed(RUNS, lambda: client.get(path)))
    total = sum(batches) / 1000
    log(
        f"fieldwork: a trace of {FIXES:,} fixes stored in {len(batches)} batches, "
        f"{total:.2f} s in all (p99 {store_p99} ms a batch; one bulk insert "
        f"{floor_timing.wall:.2f} s); drawn p50 {draw_p50} ms, p99 {draw_p99} ms"
    )
    return [
        Figure(
            name=f"fieldwork.patrol.trace.{vendor}",
            title=f"A patrol's trace of {FIXES:,} fixes stored in {len(batches)} batches of "
            f"{BATCH} ({vendor})",
            value=round(total, 2),
            unit="s",
            floor=round(floor_timing.wall, 2),
            floor_title=f"one bulk insert of all {FIXES:,} fixes",
            ratio=round(total / floor_timing.wall, 1),
            ratio_means="times the bulk insert",
            detail={"batch p50 ms": store_p50, "batch p99 ms": store_p99},
        ),
        Figure(
            name=f"fieldwork.patrol.page.{vendor}",
            title=f"The patrol's page with its trace of {FIXES:,} fixes, p99 of {RUNS} ({vendor})",
            value=draw_p99,
            unit="ms",
            floor=None,
            floor_title="",
            ratio=None,
            ratio_means="",
            detail={"p50 ms": draw_p50, "bytes": len(response.content)},
        ),
    ]


def _plan_figures(vendor, persons, written, timing, floor_timing, p50, p99) -> list[Figure]:
    return [
        Figure(
            name=f"fieldwork.plans.recompute.{vendor}",
            title=f"Visit plans recomputed for {persons:,} care-tagged persons, {written:,} plans "
            f"({vendor})",
            value=round(timing.wall, 2),
            unit="s",
            floor=round(floor_timing.wall, 2),
            floor_title="one bulk insert of the same rows",
            ratio=round(timing.wall / floor_timing.wall, 1),
            ratio_means="times the bulk insert",
            cpu_ratio=round(timing.cpu / max(floor_timing.cpu, 1e-6), 1),
            detail={"plans": written, "persons": persons, "CPU s": round(timing.cpu, 2)},
        ),
        Figure(
            name=f"fieldwork.plans.one.{vendor}",
            title=f"One person's plan after a tag changes, p99 of 200 ({vendor})",
            value=p99,
            unit="ms",
            floor=None,
            floor_title="",
            ratio=None,
            ratio_means="",
            goal=Goal(max_value=50),
            detail={"p50 ms": p50},
        ),
    ]
