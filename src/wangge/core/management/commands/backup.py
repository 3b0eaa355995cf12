from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online backup; PostgreSQL: pg_dump) and the media files "
        "into one .tar with a manifest of row counts and checksums. The field key and SECRET_KEY "
        "are not in it: keep them apart."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            help="Where to write the archive (default: $WANGGE_VAR_DIR/backups/"
            "wangge-<engine>-<timestamp>.tar).",
        )

    def handle(self, *args, path=None, **options):
        try:
            summary = backup.backup(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(summary.tables.values())
        self.stdout.write(
            f"wrote {summary.path}: {summary.engine}, {len(summary.tables)} tables, "
            f"{rows} rows, {summary.media_files} media files"
        )
