"""The demo district built once for a run spread over pytest-xdist's workers.

Each worker used to build the demo in its own test database: on a two-core machine both
builds ran side by side at the start of the run, the same work twice, with nothing else
going on. Instead the run's first process starts one build in a subprocess as it starts
(``start``), while the workers take the tests that need no demo (the crash tests, run
first); a worker that needs the demo waits for the build (``wait``), then copies it into its
own test database (``load``): SQLite's online backup, or PostgreSQL's ``CREATE DATABASE …
TEMPLATE``. The copy is the demo as the in-process build makes it — same migrations, same
keys, same password hasher, the same pinned day — and a worker builds its own as before when
the subprocess fails (its log says why).

Run as ``python -m tests.demo_template DATABASE_URL DONE_FILE`` (by ``start``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
ENV = "WANGGE_TEST_DEMO_TEMPLATE"  # "url|done file|log", set for the workers by ``start``
WAIT_SECONDS = 900


@dataclass(frozen=True)
class Template:
    url: str
    done: Path
    log: Path
    process: subprocess.Popen | None = None  # in the process that started it

    @classmethod
    def from_environ(cls) -> Template | None:
        value = os.environ.get(ENV)
        if not value:
            return None
        url, done, log = value.split("|")
        return cls(url, Path(done), Path(log))

    @property
    def postgres(self) -> bool:
        return self.url.startswith(("postgres://", "postgresql://"))

    @property
    def failed(self) -> Path:
        return self.done.with_suffix(".failed")


def start(folder: Path, database: dict) -> Template:
    """Start building the demo into a database of its own beside the run's test databases;
    the workers find it through ``ENV``."""
    done = folder / "demo-template.done"
    log = folder / "demo-template.log"
    if database["ENGINE"] == "django.db.backends.postgresql":
        name = f"test_{database['NAME']}_demo"
        host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
        user, password = database.get("USER") or "", database.get("PASSWORD") or ""
        login = f"{user}:{password}@" if password else f"{user}@" if user else ""
        url = f"postgres://{login}{host}:{port}/{name}"
    else:
        url = f"sqlite:///{folder / 'demo-template.sqlite3'}"
    from django.conf import settings

    from tests import pinned

    env = pinned.environ(dict(os.environ))
    env["WANGGE_FIELD_KEY"] = ",".join(settings.WANGGE_FIELD_KEYS)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.demo_template", url, str(done)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    os.environ[ENV] = f"{url}|{done}|{log}"
    return Template(url, done, log, process)


def stop(template: Template) -> None:
    """At the end of the run: the build stopped if it still runs, its database removed."""
    if template.process is not None and template.process.poll() is None:
        template.process.kill()
        template.process.wait()
    drop(template)


def wait(template: Template) -> bool:
    """Whether the build finished (``False``: it failed or took too long)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if template.done.exists():
            return True
        if template.failed.exists():
            return False
        time.sleep(0.5)
    return False


def load(template: Template) -> None:
    """Make the worker's test database a copy of the template (the test database exists,
    migrated and empty; Django's connection is closed and reopened around the copy)."""
    from django.db import connection

    if template.postgres:
        import psycopg

        settings = connection.settings_dict
        name = settings["NAME"]
        source = urlsplit(template.url).path.lstrip("/")
        connection.close()
        admin = psycopg.connect(
            host=settings.get("HOST") or "127.0.0.1",
            port=settings.get("PORT") or 5432,
            user=settings.get("USER") or None,
            password=settings.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        )
        try:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        finally:
            admin.close()
        connection.ensure_connection()
        return
    import sqlite3

    connection.ensure_connection()
    source = sqlite3.connect(urlsplit(template.url).path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def drop(template: Template) -> None:
    """Remove the template database (PostgreSQL; a SQLite file goes with the run's folder)."""
    if not template.postgres:
        return
    import psycopg

    parts = urlsplit(template.url)
    try:
        admin = psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username or None,
            password=parts.password or None,
            dbname="postgres",
            autocommit=True,
        )
    except psycopg.Error:
        return
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    finally:
        admin.close()


def build(url: str, done: Path) -> None:
    """Migrate a fresh database at ``url`` and build the demo in it, as ``conftest.py``'s
    in-process build does."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    if url.startswith("postgres"):
        drop(Template(url, done, done))
        import psycopg

        parts = urlsplit(url)
        with psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username or None,
            password=parts.password or None,
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from tests import pinned

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    from wangge.demo import build as demo

    clock = pinned.start(tick=False)
    try:
        demo.build(today=pinned.today())
    finally:
        clock.stop()
    connections.close_all()
    done.write_text("built\n")


if __name__ == "__main__":
    url, done = sys.argv[1], Path(sys.argv[2])
    try:
        build(url, done)
    except BaseException:
        done.with_suffix(".failed").write_text("failed\n")
        raise
