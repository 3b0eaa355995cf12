"""Importing persons from ``.xlsx``, against merely reading the same file with openpyxl.

The file is what a community hands in: name, ID number (text cells), sex, birth date (date
cells), mobile number, household number, relation to the head, grid code, and care tags on a
few percent (独居老人, 残疾人 with category and grade). Every person belongs to a household of
one to four members in one of 20 grids; the households exist before the import, as they
would after a households import.

The import runs once, through ``run_import`` as the system (``actor=None``), on a database
holding only that territory and those households: parse, check, then write everything in
one transaction with its audit events. The floor is openpyxl reading every row of the same file in
read-only mode (best of two), which the import itself must do first.
"""

from __future__ import annotations

import cProfile
import datetime
import io
import pstats
import random
import re
import sysconfig
import time
import zipfile
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from openpyxl import Workbook, load_workbook

from figures import Figure, Goal, Timing, best_of
from wangge.core.imports import run_import
from wangge.core.models import AuditEvent
from wangge.people import idnumber
from wangge.people import services as people
from wangge.people.models import Person
from wangge.territory import services as territory
from wangge.territory.choices import NodeKind

SIZES = {"full": {"persons": 100_000}, "quick": {"persons": 5_000}}
SEED = 410102
DISTRICT, STREET, COMMUNITY = "410102", "410102001", "410102001001"
# A 5 × 4 block of grids inside the community.
GRID_COLUMNS, GRID_ROWS = 5, 4
WEST, SOUTH, CELL = 113.60, 34.75, 0.004
HEADERS = [
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "户编号",
    "与户主关系",
    "网格编码",
    "关爱标签",
    "残疾类别",
    "残疾等级",
    "备注",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文红建国志海东云飞鹏宇浩然欣怡"
BIRTH_DAYS = 25_000  # birth dates spread over 1940-01-01 + this many days (to 2008)


def _box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def build_territory() -> list:
    """A district, a street, a community and its grids, through the territory services."""
    outline = _box(WEST, SOUTH, WEST + GRID_COLUMNS * CELL, SOUTH + GRID_ROWS * CELL)
    parent = None
    for kind, code, name in [
        (NodeKind.DISTRICT, DISTRICT, "中原区"),
        (NodeKind.STREET, STREET, "林山寨街道"),
        (NodeKind.COMMUNITY, COMMUNITY, "基准社区"),
    ]:
        parent = territory.create_node(
            actor=None, kind=kind, code=code, name=name, parent=parent, geometry_json=outline
        )
    grids = []
    for number in range(GRID_COLUMNS * GRID_ROWS):
        row, column = divmod(number, GRID_COLUMNS)
        west, south = WEST + column * CELL, SOUTH + row * CELL
        grids.append(
            territory.create_node(
                actor=None,
                kind=NodeKind.GRID,
                code=f"{COMMUNITY}{number + 1:03d}",
                name=f"第{number + 1}网格",
                parent=parent,
                geometry_json=_box(west, south, west + CELL, south + CELL),
            )
        )
    return grids


def person_row(index: int, member: int, household: str, grid_code: str, rng) -> list:
    """One sheet row; ``index`` makes the ID number and the mobile number unique."""
    born = datetime.date(1940, 1, 1) + datetime.timedelta(days=index % BIRTH_DAYS)
    male = rng.random() < 0.5
    if member == 0:
        relation = "本人"
    elif member == 1:
        relation = "夫" if male else "妻"
    else:
        relation = "子" if male else "女"
    tags = category = grade = None  # blank cells: Excel writes nothing for them
    roll = rng.random()
    if roll < 0.05 and born.year < 1965:
        tags = "独居老人"
    elif roll > 0.99:
        tags, category, grade = "残疾人", "肢体残疾", "二级"
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
    return [
        name,
        idnumber.make(DISTRICT, born, index // BIRTH_DAYS, male),
        "男" if male else "女",
        born,
        f"139{index:08d}",
        household,
        relation,
        grid_code,
        tags,
        category,
        grade,
        None,
    ]


def generate(count: int, grids: list, rng: random.Random) -> tuple[list[list], list[dict]]:
    """Sheet rows for ``count`` persons, and the households (1–4 members) they live in."""
    rows, households = [], []
    while len(rows) < count:
        grid = grids[len(households) % len(grids)]
        number = f"{grid.code}-{len(households) // len(grids) + 1:04d}"
        households.append({"grid": grid, "number": number})
        for member in range(min(rng.choice((1, 2, 2, 3, 3, 4)), count - len(rows))):
            rows.append(person_row(len(rows), member, number, grid.code, rng))
    return rows, households


def write_workbook(path: Path, rows: list[list]) -> None:
    """Save the rows as Excel and WPS save a sheet, which is not quite as openpyxl does.

    openpyxl writes every string inline in its cell; Excel keeps one table of shared strings
    and has cells point into it, which is quicker to read. Reading is the floor here, so an
    openpyxl-shaped file would make it slower and flatter the ratio: the strings are moved
    into a shared table after saving. (Normal mode, not write-only, so that the sheet has its
    ``<dimension>``, without which openpyxl's reader first scans the whole sheet for it.)
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "人员"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    _share_strings(path)


INLINE_STRING = re.compile(
    r'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr">'
    r'<is>(<t(?: xml:space="preserve")?>.*?</t>)</is></c>'
)
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SHARED_STRINGS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)


def _share_strings(path: Path) -> None:
    """Move the first sheet's inline strings into a shared-strings table; each ``<t>``
    element moves as it is, escaped text and ``xml:space`` included."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    table: dict[str, int] = {}

    def shared(match):
        index = table.setdefault(match[3], len(table))
        return f'<c r="{match[1]}"{match[2]} t="s"><v>{index}</v></c>'

    sheet = "xl/worksheets/sheet1.xml"
    text, count = INLINE_STRING.subn(shared, parts[sheet].decode())
    parts[sheet] = text.encode()
    items = "".join(f"<si>{text}</si>" for text in table)
    parts["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        f' count="{count}" uniqueCount="{len(table)}">{items}</sst>'
    ).encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
        "</Types>".encode(),
    )
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdSharedStrings" Type="{SHARED_STRINGS_REL}"'
        ' Target="sharedStrings.xml"/></Relationships>'.encode(),
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def read_workbook(path: Path) -> int:
    """The floor: every row of the first sheet, as the importer's reader gets them."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def prepare(count: int, folder: Path, log) -> Path:
    """Migrate, build the territory and households, write the workbook; none of it timed."""
    log("import: migrating the throwaway database")
    call_command("migrate", verbosity=0)
    grids = build_territory()
    rows, households = generate(count, grids, random.Random(SEED))
    with transaction.atomic():
        people.bulk_write_households(actor=None, creates=households, reason="bench")
    path = folder / f"persons-{count}.xlsx"
    log(f"import: writing {count:,} persons in {len(households):,} households to {path.name}")
    write_workbook(path, rows)
    return path


def import_file(path: Path, expected: int) -> tuple[Timing, dict]:
    """Run the import once: its time, and the wall seconds of each of its phases."""
    marks: dict[str, float] = {}

    def progress(phase, _done, _total):
        marks.setdefault(phase, time.perf_counter())

    def work():
        marks["start"] = time.perf_counter()
        return run_import(
            actor=None, kind="persons", path=path, filename=path.name, progress=progress
        )

    timing, report = best_of(1, work)
    if not report.ok:
        first = "; ".join(str(error) for error in report.errors[:5])
        raise AssertionError(f"the import refused the file ({report.error_count} errors): {first}")
    if report.created != expected:
        raise AssertionError(f"the import created {report.created} persons, not {expected}")
    phases = {
        "read and parse": marks["checking"] - marks["start"],
        "check": marks["writing"] - marks["checking"],
        "write and commit": marks["done"] - marks["writing"],
    }
    return timing, phases


def check_written(expected: int) -> None:
    persons = Person.objects.count()
    events = AuditEvent.objects.filter(action="people.person.created").count()
    if persons != expected or events != expected:
        raise AssertionError(f"expected {expected} persons and events, found {persons}, {events}")


def profile_import(path: Path, top: int = 25) -> str:
    """cProfile of the whole import, rolled back afterwards so the timed run starts fresh."""
    profiler = cProfile.Profile()
    with transaction.atomic():
        profiler.enable()
        run_import(actor=None, kind="persons", path=path, filename=path.name)
        profiler.disable()
        transaction.set_rollback(True)
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


def run(*, quick: bool, folder: Path, profile: bool = False, log=print) -> list[Figure]:
    count = SIZES["quick" if quick else "full"]["persons"]
    path = prepare(count, folder, log)

    log("import: reading the file with openpyxl (best of 2)")
    read, read_rows = best_of(2, lambda: read_workbook(path))
    if read_rows != count + 1:
        raise AssertionError(f"openpyxl read {read_rows} rows, expected {count + 1}")

    profile_text = ""
    if profile:
        log("import: profiling one import (rolled back)")
        profile_text = profile_import(path)
        log(profile_text)

    log(f"import: importing {count:,} persons into {connection.vendor}")
    timing, phases = import_file(path, count)
    check_written(count)

    return [
        Figure(
            name=f"import.persons_xlsx.{connection.vendor}",
            title=f"Importing {count:,} persons from .xlsx ({connection.vendor})",
            value=timing.wall,
            unit="s",
            floor=read.wall,
            floor_title="reading the same file with openpyxl (read-only, values only)",
            ratio=timing.wall / read.wall,
            ratio_means="product ÷ floor (lower is better)",
            cpu_ratio=timing.cpu / read.cpu,
            goal=Goal(max_ratio=3),
            detail={
                "persons": count,
                "file MB": round(path.stat().st_size / 1e6, 1),
                "rows/s": round(count / timing.wall),
                "floor rows/s": round(count / read.wall),
                "seconds": {"wall": round(timing.wall, 2), "cpu": round(timing.cpu, 2)},
                "floor seconds": {"wall": round(read.wall, 2), "cpu": round(read.cpu, 2)},
                "phases, wall seconds": {k: round(v, 2) for k, v in phases.items()},
            },
            appendix=profile_text,
        )
    ]
