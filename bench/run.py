"""The benchmark suite: ``make bench`` (under 20 minutes) or ``make bench-quick``.

    python bench/run.py [--quick] [--postgres] [--only GROUP ...] [--profile] [--strict]

GROUP is ``locate``, ``import``, ``intake``, ``rates``, ``pages``, ``reads`` or
``fieldwork``. Everything runs against a throwaway ``WANGGE_VAR_DIR`` (keys, SQLite
databases, the generated workbook) in a temporary directory, removed at the end; each
benchmark that writes gets a fresh database of its own. ``--postgres`` makes those throwaway
PostgreSQL databases instead, dropped at the end. A full run writes ``bench/results.json``
and ``bench/REPORT.md``; a quick one only prints its figures.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.json"
REPORT = BENCH_DIR / "REPORT.md"
GROUPS = ("locate", "import", "intake", "rates", "pages", "reads", "fieldwork")
POSTGRES_ADMIN_URL = os.environ.get(
    "WANGGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, prints only")
    parser.add_argument("--postgres", action="store_true", help="write into PostgreSQL")
    parser.add_argument("--only", nargs="+", choices=GROUPS, help="run these benchmarks only")
    parser.add_argument("--profile", action="store_true", help="profile the product paths too")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    return parser.parse_args(argv)


class Databases:
    """Throwaway databases: SQLite files in the run's folder, or PostgreSQL databases of this
    run's own, dropped at the end.

    ``create("main")`` is the one Django starts on; ``fresh(label)`` gives a benchmark an
    empty database and points Django's default connection at it (as Django's test runner
    does for its test database), so one benchmark's rows never weigh on another's figures.
    """

    def __init__(self, folder: Path, admin_url: str | None):
        self.folder = folder
        self.admin_url = admin_url
        self.names: list[str] = []

    def _execute(self, statement: str, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL(statement).format(sql.Identifier(name)))

    def create(self, label: str) -> str | None:
        """A new empty database and its URL (``None``: SQLite in ``WANGGE_VAR_DIR``)."""
        if self.admin_url is None:
            return None if label == "main" else f"sqlite:///{self.folder / f'{label}.sqlite3'}"
        name = f"wangge_bench_{os.getpid()}_{label}"
        self._execute("CREATE DATABASE {}", name)
        self.names.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def fresh(self, label: str) -> str:
        """An empty database for one benchmark, from now on Django's default; its URL."""
        import dj_database_url
        from django.contrib.contenttypes.models import ContentType
        from django.core.cache import cache
        from django.db import connections

        url = self.create(label)
        connection = connections["default"]
        connection.close()
        connection.settings_dict["NAME"] = dj_database_url.parse(url)["NAME"]
        cache.clear()
        ContentType.objects.clear_cache()
        return url

    def drop(self) -> None:
        if not self.names:
            return
        from django.db import connections

        if "DJANGO_SETTINGS_MODULE" in os.environ:
            connections.close_all()
        for name in self.names:
            self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def start_django(folder: Path, database_url: str | None) -> None:
    os.environ["WANGGE_VAR_DIR"] = str(folder / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "wangge.settings"
    os.environ.setdefault("WANGGE_LOG_LEVEL", "WARNING")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()


def measure(args, folder: Path, databases: Databases) -> tuple[list, dict, dict[str, str]]:
    """Run the chosen benchmarks; their figures, the machine, and each group's method."""
    import fieldwork_bench
    import import_bench
    import intake_bench
    import locate_bench
    import pages_bench
    import rates_bench
    import reads_bench
    from machine import describe

    machine = describe()
    log = functools.partial(print, flush=True)
    chosen = args.only or GROUPS
    figures = []
    if "locate" in chosen:
        figures += locate_bench.run(quick=args.quick, log=log)
    if "import" in chosen:
        databases.fresh("import")
        figures += import_bench.run(quick=args.quick, folder=folder, profile=args.profile, log=log)
    if "intake" in chosen:
        url = databases.fresh("intake")
        figures += intake_bench.run(
            quick=args.quick, folder=folder, database_url=url, profile=args.profile, log=log
        )
    if "rates" in chosen:
        databases.fresh("rates")
        figures += rates_bench.run(quick=args.quick, profile=args.profile, log=log)
    if "pages" in chosen:
        databases.fresh("pages")
        figures += pages_bench.run(quick=args.quick, log=log)
    if "reads" in chosen:
        databases.fresh("reads")
        figures += reads_bench.run(quick=args.quick, log=log)
    if "fieldwork" in chosen:
        databases.fresh("fieldwork")
        figures += fieldwork_bench.run(quick=args.quick, log=log)
    # Every group's method, whether this run measured it or not: the report shows them all.
    methods = {
        "locate": locate_bench.__doc__,
        "import": import_bench.__doc__,
        "intake": intake_bench.__doc__,
        "rates": rates_bench.__doc__,
        "pages": pages_bench.__doc__,
        "reads": reads_bench.__doc__,
        "fieldwork": fieldwork_bench.__doc__,
    }
    return figures, machine, methods


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as temp:
        folder = Path(temp)
        databases = Databases(folder, POSTGRES_ADMIN_URL if args.postgres else None)
        try:
            start_django(folder, databases.create("main"))
            figures, machine, methods = measure(args, folder, databases)
        finally:
            databases.drop()
    machine["load_average_end"] = [round(load, 2) for load in os.getloadavg()]

    from machine import one_line
    from report import entry, merge, render, summary_lines, write_results

    entries = [entry(figure, machine) for figure in figures]
    print()
    print("\n".join(summary_lines(entries)))
    for item in entries:
        detail = ", ".join(f"{k} {v}" for k, v in item["detail"].items() if not isinstance(v, dict))
        print(f"  {item['name']}: {detail}")
    print(f"Machine: {one_line(machine)}")
    if args.quick:
        print("Quick run: bench/results.json and bench/REPORT.md left as they were.")
    else:
        merged = merge(RESULTS, entries, GROUPS)
        write_results(RESULTS, merged)
        REPORT.write_text(render(merged, machine, methods))
        print(f"Wrote {RESULTS} and {REPORT}")
    missed = [item["name"] for item in entries if item["pass"] is False]
    if missed:
        print(f"Goal missed: {', '.join(missed)}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
