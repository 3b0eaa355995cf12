"""``wangge backup`` and ``wangge restore``, run as the operator runs them: subprocesses on a
real database file (SQLite) or a scratch database (PostgreSQL, when ``DATABASE_URL`` points at
one), because pytest-django's SQLite test database lives in memory and has no file to copy."""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

SEED = """
from wangge.people import services as people
from wangge.territory import services as territory
from wangge.territory.choices import NodeKind
box = {"type": "Polygon", "coordinates": [[[113.6, 34.75], [113.61, 34.75], [113.61, 34.76],
       [113.6, 34.76], [113.6, 34.75]]]}
district = territory.create_node(actor=None, kind=NodeKind.DISTRICT, code="410102", name="D",
                                 geometry_json=box)
street = territory.create_node(actor=None, kind=NodeKind.STREET, code="410102010", name="S",
                               parent=district, geometry_json=box)
community = territory.create_node(actor=None, kind=NodeKind.COMMUNITY, code="410102010003",
                                  name="C", parent=street, geometry_json=box)
grid = territory.create_node(actor=None, kind=NodeKind.GRID, code="410102010003001", name="G",
                             parent=community, geometry_json=box)
for n in range(5):
    people.create_person(actor=None, name=f"P{n}", grid=grid, phone=f"1380000000{n}")
"""

# The commands' messages (msgids of wangge.core.backup and the restore command).
DUMP_MISMATCH = "The database dump in %(path)s does not match its checksum; nothing was restored."
OTHER_ENGINE = "This backup is of a %(theirs)s database; this server uses %(ours)s."
NO_FILE = "There is no backup file at %(path)s."
NEEDS_YES = "Nothing was restored: add --yes to replace the database and media files."
EXISTS = "%(path)s already exists; a backup never overwrites a file."
UNREADABLE = "%(path)s cannot be read as a backup: %(error)s"

DAMAGE = [
    "UPDATE cases_category SET name = 'damaged'",
    "DELETE FROM people_visit",
    "UPDATE people_person SET name = 'gone'",
    "DELETE FROM django_migrations WHERE id = (SELECT MAX(id) FROM django_migrations)",
]


def words(msgid: str) -> str:
    """The longest fixed part of a message as the commands print it (in the site's language,
    which is the language of the catalogues, not of the test), to find it in their output."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(msgid)
    return max(re.split(r"%\(\w+\)s", text), key=len).strip()


class Site:
    """One installation: its environment, database and media directory."""

    def __init__(self, tmp_path: Path, database_url: str, engine: str):
        self.var = tmp_path / "var"
        self.media = self.var / "media"
        self.database_url = database_url
        self.engine = engine
        self.env = {
            **os.environ,
            "WANGGE_VAR_DIR": str(self.var),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "backup-test-" + "x" * 50,
            "WANGGE_FIELD_KEY": "cmVzdG9yZS10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE=",
            "DJANGO_SETTINGS_MODULE": "wangge.settings",
        }
        self.env.pop("WANGGE_DEBUG", None)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "wangge", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"wangge {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def connect(self):
        if self.engine == "sqlite":
            import sqlite3

            return sqlite3.connect(urlsplit(self.database_url).path)
        import psycopg

        return psycopg.connect(self.database_url.replace("postgres://", "postgresql://", 1))

    def fingerprint(self) -> tuple[dict[str, int], dict[str, str]]:
        """Per table its row count and a SHA-256 over every row (sorted, so the order the
        engine returns them in does not matter); the media files with their SHA-256."""
        connection = self.connect()
        try:
            cursor = connection.cursor()
            if self.engine == "sqlite":
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            else:
                cursor.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            tables = sorted(row[0] for row in cursor.fetchall())
            counts, sums = {}, {}
            for table in tables:
                cursor.execute(f'SELECT * FROM "{table}"')
                rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
                counts[table] = len(rows)
                sums[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        finally:
            connection.close()
        media = {
            path.relative_to(self.media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.media.rglob("*"))
            if path.is_file()
        }
        return counts, sums | {f"media:{k}": v for k, v in media.items()}

    def damage(self) -> None:
        connection = self.connect()
        try:
            cursor = connection.cursor()
            for statement in DAMAGE:
                cursor.execute(statement)
            connection.commit()
        finally:
            connection.close()
        (self.media / "cases/2026/01/a.jpg").write_bytes(b"changed")
        (self.media / "notices/2026/01/n.pdf").unlink()
        (self.media / "cases/2026/01/new.jpg").write_bytes(b"added after the backup")


def build(site: Site) -> None:
    site.run("migrate", "--noinput", "-v", "0")
    site.run("shell", "-c", SEED)
    (site.media / "cases/2026/01").mkdir(parents=True)
    (site.media / "notices/2026/01").mkdir(parents=True)
    (site.media / "cases/2026/01/a.jpg").write_bytes(b"\xff\xd8 a photo")
    (site.media / "notices/2026/01/n.pdf").write_bytes(b"%PDF a notice")


def round_trip(site: Site, tmp_path: Path) -> None:
    counts, sums = site.fingerprint()
    assert counts["people_person"] == 5 and counts["cases_category"] > 0

    archive = tmp_path / "backup.tar"
    site.run("backup", str(archive))
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["engine"] == site.engine
    assert manifest["tables"] == {t: n for t, n in counts.items() if t in manifest["tables"]}
    assert set(manifest["tables"]) >= {"people_person", "cases_case", "core_auditevent"}
    assert manifest["media"]["files"] == 2
    assert manifest["keys_included"] is False

    site.damage()
    assert site.fingerprint() != (counts, sums)

    result = site.run("restore", str(archive), "--yes")
    assert "restored" in result.stdout
    assert site.fingerprint() == (counts, sums)
    # The restored site works: Django sees every migration applied and reads the people.
    assert "[ ]" not in site.run("showmigrations").stdout


def corrupt(archive: Path, target: Path) -> None:
    """A copy of ``archive`` with one byte of its database dump flipped."""
    shutil.copy(archive, target)
    with tarfile.open(archive) as tar:
        member = next(m for m in tar if m.name.startswith("database."))
        offset = member.offset_data + member.size // 2
    with target.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def refusals(site: Site, tmp_path: Path) -> None:
    """A corrupted, foreign or missing archive and a restore without --yes change nothing."""
    archive = tmp_path / "good.tar"
    site.run("backup", str(archive))
    site.damage()
    before = site.fingerprint()

    bad = tmp_path / "corrupted.tar"
    corrupt(archive, bad)
    result = site.run("restore", str(bad), "--yes", check=False)
    assert result.returncode != 0
    assert words(DUMP_MISMATCH) in result.stderr
    assert site.fingerprint() == before

    other = "postgresql" if site.engine == "sqlite" else "sqlite"
    foreign = tmp_path / "foreign.tar"
    with tarfile.open(archive) as source, tarfile.open(foreign, "w") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps(json.loads(data) | {"engine": other}).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    result = site.run("restore", str(foreign), "--yes", check=False)
    assert result.returncode != 0 and words(OTHER_ENGINE) in result.stderr

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[:5000])
    assert site.run("restore", str(truncated), "--yes", check=False).returncode != 0

    result = site.run("restore", str(tmp_path / "missing.tar"), "--yes", check=False)
    assert result.returncode != 0 and words(NO_FILE) in result.stderr

    result = site.run("restore", str(archive), check=False)  # no --yes, no terminal
    assert result.returncode != 0 and words(NEEDS_YES) in result.stderr

    result = site.run("backup", str(archive), check=False)
    assert result.returncode != 0 and words(EXISTS) in result.stderr
    assert site.fingerprint() == before


def sqlite_at(root: Path) -> Site:
    return Site(root, f"sqlite:///{root / 'wangge.sqlite3'}", "sqlite")


@pytest.fixture(scope="session")
def built_sqlite_site(tmp_path_factory):
    """One SQLite installation migrated and seeded (``build``), copied for each test: migrating
    from nothing in a subprocess takes seconds, the copy none."""
    root = tmp_path_factory.mktemp("backup-site")
    build(sqlite_at(root))
    return root


@pytest.fixture
def sqlite_site(tmp_path, built_sqlite_site):
    shutil.copy(built_sqlite_site / "wangge.sqlite3", tmp_path / "wangge.sqlite3")
    shutil.copytree(built_sqlite_site / "var", tmp_path / "var")
    return sqlite_at(tmp_path)


@pytest.mark.once  # a SQLite site of its own, whatever the suite runs on
def test_sqlite_round_trip(sqlite_site, tmp_path):
    round_trip(sqlite_site, tmp_path)


@pytest.mark.once  # a SQLite site of its own, whatever the suite runs on
def test_sqlite_refuses_bad_archives(sqlite_site, tmp_path):
    refusals(sqlite_site, tmp_path)


@pytest.mark.once  # a SQLite site of its own, whatever the suite runs on
def test_default_path_names_engine_and_time(sqlite_site):
    result = sqlite_site.run("backup")
    written = sorted((sqlite_site.var / "backups").glob("wangge-sqlite-*.tar"))
    assert len(written) == 1 and str(written[0]) in result.stdout
    assert oct(written[0].stat().st_mode & 0o777) == "0o600"


@pytest.fixture
def postgres_site(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    for program in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} is not installed")
    parts = urlsplit(url)
    name = f"wangge_backup_{uuid.uuid4().hex[:12]}"
    options = ["--host", parts.hostname or "127.0.0.1", "--port", str(parts.port or 5432)]
    if parts.username:
        options += ["--username", parts.username]
    env = {**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})}
    subprocess.run(["createdb", *options, name], env=env, check=True)
    try:
        yield Site(tmp_path, parts._replace(path=f"/{name}").geturl(), "postgresql")
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", *options, name], env=env, check=False)


def test_postgresql_round_trip(postgres_site, tmp_path):
    build(postgres_site)
    round_trip(postgres_site, tmp_path)
    refusals(postgres_site, tmp_path)


def test_bad_arguments_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match=re.escape(words(NO_FILE))):
        call_command("restore", str(tmp_path / "nothing.tar"), "--yes")
    not_tar = tmp_path / "notes.tar"
    not_tar.write_text("not an archive")
    with pytest.raises(CommandError, match=re.escape(words(UNREADABLE))):
        call_command("restore", str(not_tar), "--yes")
    with pytest.raises(CommandError, match="required: path"):
        call_command("restore")
