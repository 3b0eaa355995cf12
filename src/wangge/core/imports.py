"""Imports and exports of records from spreadsheets, for every app that registers a kind.

An import is judged whole before anything is written: every cell is parsed, every row is
checked against the others, the database and the actor's scope — all in one pass, so a file
with ten bad rows reports ten — and if any row fails nothing is written and the report lists
row, column and reason. Otherwise all rows are written through the
app's services in one transaction.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit
from wangge.core.scope import common_ancestor_id, get_scope, permission_name
from wangge.core.services import BulkResult
from wangge.core.tabular import ParsedTable, RowError, TableSpec, parse_table

logger = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 1000


@dataclass
class ImportReport:
    kind: str
    filename: str = ""
    dry_run: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "rows": self.rows,
            "error_count": self.error_count,
            "errors": [error.as_dict() for error in self.errors],
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Plan:
    """What a checked file will do: rows to create, rows to update (each with what changes),
    rows already as stored, and the paths of the nodes written to."""

    creates: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    unchanged: int = 0
    paths: set[str] = field(default_factory=set)

    def take(self, existing, values: dict, path: str) -> None:
        """A checked row: a new record from ``values`` when ``existing`` is ``None``, else an
        update of what differs from it (nothing, when nothing does)."""
        self.paths.add(path)
        if existing is None:
            self.creates.append(values)
        elif changes := changed_values(existing, values):
            self.updates.append((existing, changes))
        else:
            self.unchanged += 1


def changed_values(obj, values: dict) -> dict:
    """The entries of ``values`` that differ from what ``obj`` holds (related objects by key)."""
    changed = {}
    for key, value in values.items():
        current = getattr(obj, key)
        if getattr(current, "pk", current) != getattr(value, "pk", value):
            changed[key] = value
    return changed


def in_chunks(values: list, size: int = 5000):
    """``values`` a few thousand at a time: a lookup of a hundred thousand keys in one query
    is more than SQLite takes."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def by_id(queryset, parsed: ParsedTable, key: str = "id") -> dict:
    """The records the rows name by their ``key`` column (the ``ID`` of an export), found in
    ``queryset`` — the actor's, through ``restrict``: one named outside it is not there."""
    ids = [row[key] for _n, row in parsed.rows if row.get(key)]
    found = {}
    for chunk in in_chunks(ids):
        found.update({obj.pk: obj for obj in queryset.filter(pk__in=chunk)})
    return found


class FirstRows(dict):
    """Where each key (an ID number, a work order) first comes in the file."""

    def earlier(self, key, number: int) -> int | None:
        """The row that had ``key`` before row ``number``, or ``None`` if this is the first."""
        first = self.setdefault(key, number)
        return None if first == number else first


class Importer:
    """One kind of record that can be imported and exported. Apps subclass and register."""

    kind: str = ""
    spec: TableSpec
    model = None
    # False for kinds that are only exported (the case list): they are not offered for import.
    importable = True
    # The FilterSet of the list page the export comes from, so "export" gives what it shows.
    filterset_class = None

    def check(self, parsed: ParsedTable, actor) -> tuple[list[RowError], Plan]:
        """Check the parsed rows against each other, the database and scope; return errors
        and a plan. What the rows need from the database is fetched first, in a few batched
        queries (``look_up``); then each row is checked (``check_row``): every problem it has
        is an error, and a row without any goes into the plan (``plan_row``)."""
        found = self.look_up(parsed, actor)
        errors: list[RowError] = []
        plan = Plan()
        for number, row in parsed.rows:
            # Every problem of the row, by column; a check that needs what an earlier one
            # found wrong is left out (its column has its error already).
            problems: dict[str, str] = {}
            outcome = self.check_row(number, row, found, problems)
            if problems or outcome is None:  # None: a cell it needs could not be read
                errors += [
                    RowError(number, self.spec.header_of(column), message)
                    for column, message in problems.items()
                ]
                continue
            self.plan_row(plan, outcome)
        return errors, plan

    def look_up(self, parsed: ParsedTable, actor):
        """What checking the rows needs from the database, for the whole file at once."""
        raise NotImplementedError

    def check_row(self, number: int, row: dict, found, problems: dict[str, str]):
        """Check one row, writing its problems into ``problems`` by column (its header or its
        key); return what ``plan_row`` takes, or ``None`` when the row cannot go in."""
        raise NotImplementedError

    def plan_row(self, plan: Plan, outcome) -> None:
        """Put a row without problems into the plan; ``outcome`` is ``(the record it updates
        or None, its values, the path of its node)``."""
        existing, values, path = outcome
        plan.take(existing, values, path)

    def apply(self, plan: Plan, actor, progress: Callable[[int], None] | None) -> BulkResult:
        """Write the plan through the services."""
        raise NotImplementedError

    @property
    def permission(self) -> str:
        return permission_name(self.model, "import")

    def export_queryset(self, actor):
        raise NotImplementedError

    def filtered(self, queryset, params, request=None):
        """``queryset`` narrowed by the list page's filters in ``params`` (a QueryDict).

        Raises ``ExportFilterError`` with the form's errors when a value is bad, so an export
        never silently gives more than the page showed.
        """
        if self.filterset_class is None:
            return queryset
        data = params.copy()
        for key in list(data):
            if key not in self.filterset_class.base_filters:
                del data[key]
        if not data:
            return queryset
        filterset = self.filterset_class(data, queryset, request=request)
        if not filterset.is_valid():
            raise ExportFilterError(filterset.errors)
        return filterset.qs

    def export_rows(self, queryset, actor) -> Iterable[dict]:
        raise NotImplementedError


class ExportFilterError(ValueError):
    """The filters given to an export are not valid; ``errors`` maps field → messages."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


REGISTRY: dict[str, Importer] = {}


def register(importer_class):
    REGISTRY[importer_class.kind] = importer_class()
    return importer_class


def get_importer(kind: str) -> Importer:
    try:
        return REGISTRY[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}; known: {', '.join(REGISTRY)}") from None


@contextlib.contextmanager
def _no_cycle_collection():
    """Building a hundred thousand rows makes Python's cycle collector walk them again and
    again; nothing an import builds is cyclic garbage, so it is paused until the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_import(
    *,
    actor,
    kind: str,
    path: Path | str,
    filename: str = "",
    dry_run: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import a file: all rows or none. ``progress(phase, done, total)`` is told how far."""
    with _no_cycle_collection():
        return _run_import(actor, kind, path, filename, dry_run, progress)


def _run_import(actor, kind, path, filename, dry_run, progress) -> ImportReport:
    started = time.perf_counter()
    importer = get_importer(kind)
    report = ImportReport(kind=kind, filename=filename or Path(path).name, dry_run=dry_run)

    def tell(phase, done, total=0):
        if progress:
            progress(phase, done, total)

    if actor is not None and not get_scope(actor).has_perm(importer.permission):
        report.add_errors(
            [
                RowError(
                    0, "", gettext("You may not import %(what)s") % {"what": importer.spec.title}
                )
            ]
        )
        return report
    parsed = parse_table(
        importer.spec, path, filename, on_progress=lambda done: tell("reading", done)
    )
    report.rows = len(parsed.rows)
    tell("checking", 0, report.rows)
    errors = list(parsed.errors)
    if parsed.rows or not parsed.errors:
        # Every check on every row in one pass: the rows are checked against each other, the
        # database and the actor's places even where some of their cells could not be read
        # (those cells are left out of the row, and their own error is the one reported).
        unreadable = {(error.row, error.column) for error in parsed.errors}
        found, plan = importer.check(parsed, actor)
        errors += [error for error in found if (error.row, error.column) not in unreadable]
    report.add_errors(sorted(errors, key=lambda e: (e.row, e.column)))
    if not report.ok:
        report.seconds = time.perf_counter() - started
        return report
    report.unchanged = plan.unchanged
    if dry_run:
        report.created, report.updated = len(plan.creates), len(plan.updates)
        report.seconds = time.perf_counter() - started
        return report
    tell("writing", 0, report.rows)
    with transaction.atomic():
        result = importer.apply(plan, actor, lambda done: tell("writing", done, report.rows))
        report.created = result.created
        report.updated = result.updated
        report.unchanged += result.unchanged
        audit.record(
            actor=actor,
            action="core.import.completed",
            node_id=common_ancestor_id(plan.paths),
            target_repr=f"{kind}: {report.filename}",
            after={
                "kind": kind,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
    report.seconds = time.perf_counter() - started
    tell("done", report.rows, report.rows)
    return report


# --- As a job ----------------------------------------------------------------------------------


def save_upload(uploaded) -> Path:
    """Keep an uploaded file under ``var/uploads`` until its job has run."""
    import uuid

    from django.conf import settings

    folder = Path(settings.VAR_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(uploaded.name).suffix.lower()
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    return path


def start_import(*, actor, kind: str, path: Path, filename: str, dry_run: bool, node=None):
    """Queue an import as a job; small files run at once, large ones wait for a worker."""
    from django.conf import settings

    from wangge.core import jobs

    get_importer(kind)
    job = jobs.enqueue(
        kind="import",
        params={
            "kind": kind,
            "path": str(path),
            "filename": filename,
            "dry_run": dry_run,
            "actor_id": actor.pk if actor is not None else None,
        },
        actor=actor,
        node=node,
    )
    if path.stat().st_size <= settings.WANGGE_IMPORT_INLINE_BYTES:
        job = jobs.run_now(job)
    return job


def _import_job(job) -> dict:
    from django.contrib.auth import get_user_model

    from wangge.core.jobs import Progress

    params = job.params
    actor = None
    if params.get("actor_id"):
        actor = get_user_model().objects.get(pk=params["actor_id"])
    path = Path(params["path"])
    try:
        report = run_import(
            actor=actor,
            kind=params["kind"],
            path=path,
            filename=params.get("filename", ""),
            dry_run=params.get("dry_run", False),
            progress=Progress(job),
        )
    finally:
        path.unlink(missing_ok=True)
    return report.as_dict()


def _register_job():
    from wangge.core.jobs import handler

    handler("import")(_import_job)


_register_job()
