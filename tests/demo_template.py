"""The demo district built once for a run spread over pytest-xdist's workers.

Each worker used to build the demo in its own test database: on a two-core machine both
builds ran side by side, the same work twice. Now the first worker to need the demo builds
it and publishes a copy (``publish``: SQLite's online backup into a file, or a PostgreSQL
database made from it as a template); a worker that needs the demo later waits for that copy
(``wait``) and loads it into its own test database (``load``) — meanwhile it has run the
tests that need no demo: the crash tests, which ``--dist loadgroup`` keeps together on one
worker (``xdist_group("processes")``), while the other builds. The copy is the demo as the
in-process build made it; a worker builds its own as before when the build failed.

The run's first process makes the folder they share (``prepare``) and removes it and the
template database at the end (``finish``).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENV = "WANGGE_TEST_DEMO_SHARE"  # the folder the workers share, set by ``prepare``
WAIT_SECONDS = 900


@dataclass(frozen=True)
class Share:
    folder: Path

    @classmethod
    def from_environ(cls) -> Share | None:
        value = os.environ.get(ENV)
        return cls(Path(value)) if value else None

    @property
    def sqlite_file(self) -> Path:
        return self.folder / "demo.sqlite3"

    @property
    def done(self) -> Path:
        return self.folder / "demo.done"

    @property
    def failed(self) -> Path:
        return self.folder / "demo.failed"

    def claim(self) -> bool:
        """Whether this worker is the first to need the demo (and so builds it)."""
        try:
            os.close(os.open(self.folder / "demo.claimed", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return False
        return True

    def fail(self) -> None:
        self.failed.write_text("failed\n")

    def wait(self) -> bool:
        """Whether the demo was published (``False``: its build failed or took too long)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.done.exists():
                return True
            if self.failed.exists():
                return False
            time.sleep(0.5)
        return False


def prepare() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="wangge-demo-"))
    os.environ[ENV] = str(folder)
    return folder


def finish(folder: Path, database: dict) -> None:
    if database["ENGINE"] == "django.db.backends.postgresql":
        with _admin(database) as admin:
            template = template_name(f"test_{database['NAME']}")
            admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    shutil.rmtree(folder, ignore_errors=True)


def template_name(test_name: str) -> str:
    """The template's name beside the run's test databases: ``test_<name>_demo`` from a
    worker's ``test_<name>_gw0`` (or from ``test_<name>``)."""
    return re.sub(r"_gw\d+$", "", test_name) + "_demo"


def _admin(database: dict):
    import psycopg

    return psycopg.connect(
        host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def publish(share: Share) -> None:
    """Copy the worker's test database, the demo just built in it, where the others find it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        name = settings["NAME"]
        connection.close()  # a template must have no session open on it while it is copied
        with _admin(settings) as admin:
            template = template_name(settings["NAME"])
            admin.execute(f'DROP DATABASE IF EXISTS "{template}"')
            admin.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        connection.ensure_connection()
    else:
        connection.ensure_connection()
        target = sqlite3.connect(share.sqlite_file)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    share.done.write_text("published\n")


def load(share: Share) -> None:
    """Make the worker's test database (migrated, empty) a copy of the published demo."""
    from django.db import connection

    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        name = settings["NAME"]
        connection.close()
        with _admin(settings) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name(settings["NAME"])}"')
        connection.ensure_connection()
        return
    connection.ensure_connection()
    source = sqlite3.connect(share.sqlite_file)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
