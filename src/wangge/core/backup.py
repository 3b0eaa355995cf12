"""Backups of the database and the media files, and their restore.

A backup is one tar archive, so it travels off the machine as one file:

- ``database.sqlite3`` (SQLite, copied with the online backup API: consistent while the server
  writes) or ``database.pgdump`` (``pg_dump --format=custom``, taken in the same snapshot as the
  row counts);
- ``media/…``: photos of cases and files of notices, as they are under ``MEDIA_ROOT``;
- ``manifest.json``: the engine, the row count of every table, the SHA-256 of the dump and a
  digest over the media files (name and SHA-256 of each).

``restore`` reads the manifest and checks every checksum before it touches anything, so a
corrupted, truncated or foreign archive changes nothing. The field key (``WANGGE_FIELD_KEY``) and
``SECRET_KEY`` are deliberately not in the archive: a stolen backup without the field key has
no readable ID or phone numbers.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "wangge-backup/1"
MANIFEST = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator."""


@dataclass
class Summary:
    path: Path
    engine: str
    tables: dict[str, int]
    media_files: int


def engine() -> str:
    """``sqlite`` or ``postgresql``: the engine of the default database."""
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor}
        )
    return vendor


def default_path(now=None) -> Path:
    """``$WANGGE_VAR_DIR/backups/wangge-<engine>-<UTC timestamp>.tar``."""
    stamp = (now or timezone.now()).strftime("%Y%m%dT%H%M%SZ")
    return settings.VAR_DIR / "backups" / f"wangge-{engine()}-{stamp}.tar"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _media_digest(entries: list[tuple[str, str]]) -> str:
    """One digest over (name, sha256) of every media file, in name order."""
    digest = hashlib.sha256()
    for name, sha in sorted(entries):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables(cursor) -> list[str]:
    return sorted(connection.introspection.table_names(cursor))


def _counts(cursor) -> dict[str, int]:
    counts = {}
    for table in _tables(cursor):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _sqlite_path() -> Path:
    name = str(settings.DATABASES["default"]["NAME"])
    if name in {"", ":memory:"} or name.startswith("file:"):
        raise BackupError(_("The SQLite database is in memory; there is no file to back up."))
    return Path(name)


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection options from Django's settings; the password in the env."""
    db = settings.DATABASES["default"]
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return [*args, "--no-password", "--dbname", str(db["NAME"])], env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            _("%(program)s was not found; install the PostgreSQL client.") % {"program": command[0]}
        ) from exc
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": command[0], "error": result.stderr.strip()}
        )


def _dump_sqlite(target: Path) -> dict[str, int]:
    """Copy the live database page by page; count the rows in the copy, not the live file."""
    source = sqlite3.connect(_sqlite_path())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        tables = [
            row[0]
            for row in copy.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {}
        for table in tables:
            counts[table] = copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        return counts
    finally:
        copy.close()
        source.close()


def _dump_postgresql(target: Path) -> dict[str, int]:
    """pg_dump in a snapshot exported by a repeatable-read transaction that also counts rows,
    so the manifest's counts are those of the dump even while the server writes."""
    args, env = _pg_env()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", str(target), *args],
            env,
        )
        return _counts(cursor)


def _media_files() -> list[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(
        (path, path.relative_to(root).as_posix()) for path in root.rglob("*") if path.is_file()
    )


def backup(path: Path | None = None) -> Summary:
    """Write a backup archive at ``path`` (default under ``$WANGGE_VAR_DIR/backups``)."""
    kind = engine()
    path = Path(path) if path else default_path()
    if path.exists():
        raise BackupError(
            _("%(path)s already exists; a backup never overwrites a file.") % {"path": path}
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".wangge-backup-") as work:
        dump = Path(work) / DUMP_NAMES[kind]
        counts = _dump_sqlite(dump) if kind == "sqlite" else _dump_postgresql(dump)
        partial = Path(work) / "archive.tar"
        media = []
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, arcname=dump.name)
            for file, name in _media_files():
                data = file.read_bytes()  # photos and notice files are at most a few MB
                media.append((name, hashlib.sha256(data).hexdigest()))
                info = tarfile.TarInfo(f"media/{name}")
                info.size = len(data)
                info.mtime = int(file.stat().st_mtime)
                archive.addfile(info, io.BytesIO(data))
            manifest = {
                "format": FORMAT,
                "engine": kind,
                "created": timezone.now().isoformat(),
                "dump": {
                    "name": dump.name,
                    "sha256": sha256_file(dump),
                    "bytes": dump.stat().st_size,
                },
                "tables": counts,
                "media": {"files": len(media), "sha256": _media_digest(media)},
                "keys_included": False,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(body))
        os.chmod(partial, 0o600)  # it holds (encrypted) personal data and the password hashes
        os.replace(partial, path)  # the archive appears whole or not at all
    return Summary(path=path, engine=kind, tables=counts, media_files=len(media))


def _safe_media_name(name: str) -> str | None:
    """The path under MEDIA_ROOT of a ``media/…`` member, or None for anything else."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != "media" or any(p in {"", ".", ".."} for p in parts):
        return None
    return PurePosixPath(*parts[1:]).as_posix()


@dataclass
class Checked:
    manifest: dict
    dump: Path
    media_dir: Path


def verify(path: Path, work: Path) -> Checked:
    """Unpack ``path`` into ``work`` and check it whole: the manifest, the engine, the dump's
    checksum and the media digest. Raises BackupError; touches nothing outside ``work``."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("There is no backup file at %(path)s.") % {"path": path})
    try:
        with tarfile.open(path, "r:") as archive:
            try:
                manifest = json.load(archive.extractfile(MANIFEST))
            except (KeyError, AttributeError, ValueError) as exc:
                raise BackupError(
                    _("%(path)s is not a Wangge backup (no readable manifest).") % {"path": path}
                ) from exc
            if manifest.get("format") != FORMAT:
                raise BackupError(
                    _("%(path)s is not a Wangge backup (no readable manifest).") % {"path": path}
                )
            if manifest.get("engine") != engine():
                raise BackupError(
                    _("This backup is of a %(theirs)s database; this server uses %(ours)s.")
                    % {"theirs": manifest.get("engine"), "ours": engine()}
                )
            dump_name = manifest["dump"]["name"]
            dump = work / dump_name
            media_dir = work / "media"
            media_dir.mkdir()
            media = []
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if member.name == dump_name and member.isfile():
                    with archive.extractfile(member) as source, dump.open("wb") as target:
                        shutil.copyfileobj(source, target, CHUNK)
                    continue
                name = _safe_media_name(member.name)
                if name is None or not member.isfile():
                    raise BackupError(
                        _("%(path)s holds an unexpected entry %(name)s.")
                        % {"path": path, "name": member.name}
                    )
                data = archive.extractfile(member).read()
                media.append((name, hashlib.sha256(data).hexdigest()))
                target = media_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(
            _("%(path)s cannot be read as a backup: %(error)s") % {"path": path, "error": exc}
        ) from exc
    if not dump.is_file() or sha256_file(dump) != manifest["dump"]["sha256"]:
        raise BackupError(
            _("The database dump in %(path)s does not match its checksum; nothing was restored.")
            % {"path": path}
        )
    expected = manifest.get("media", {})
    if len(media) != expected.get("files") or _media_digest(media) != expected.get("sha256"):
        raise BackupError(
            _("The media files in %(path)s do not match their checksum; nothing was restored.")
            % {"path": path}
        )
    return Checked(manifest=manifest, dump=dump, media_dir=media_dir)


def _restore_sqlite(dump: Path) -> None:
    """Copy the dump over the live database with the backup API: page by page, under the
    database's write lock, so other connections see the old or the new database, never half."""
    connections.close_all()
    source = sqlite3.connect(dump)
    live = sqlite3.connect(_sqlite_path(), timeout=30)
    try:
        source.backup(live)
    finally:
        live.close()
        source.close()


def _restore_postgresql(dump: Path) -> None:
    connections.close_all()
    args, env = _pg_env()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(dump),
        ],
        env,
    )


def _replace_media(new: Path) -> None:
    """Swap the restored media in place of MEDIA_ROOT, by renames on the same filesystem."""
    root = Path(settings.MEDIA_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    staged = root.with_name(f".{root.name}.restoring")
    old = root.with_name(f".{root.name}.before-restore")
    for leftover in (staged, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.copytree(new, staged)
    if root.exists():
        os.replace(root, old)
    os.replace(staged, root)
    if old.exists():
        shutil.rmtree(old)


def restore(checked: Checked) -> dict[str, int]:
    """Replace the database and the media with a verified backup; the row counts after it."""
    if engine() == "sqlite":
        _restore_sqlite(checked.dump)
    else:
        _restore_postgresql(checked.dump)
    _replace_media(checked.media_dir)
    with connection.cursor() as cursor:
        counts = _counts(cursor)
    expected = checked.manifest["tables"]
    differ = sorted(t for t in expected if counts.get(t) != expected[t])
    if differ:
        raise BackupError(
            _("After the restore these tables do not hold the rows the backup counted: %(tables)s")
            % {"tables": ", ".join(differ)}
        )
    return counts
