import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wangge.core import backup


class Command(BaseCommand):
    help = (
        "Replace the database and the media files with a backup made by `wangge backup`, after "
        "checking its checksums. Stop the web and worker processes first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup archive (.tar).")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask: replace the database and media."
        )

    def handle(self, *args, path, yes=False, **options):
        with tempfile.TemporaryDirectory(prefix="wangge-restore-") as work:
            try:
                checked = backup.verify(path, Path(work))
            except backup.BackupError as exc:
                raise CommandError(str(exc)) from exc
            manifest = checked.manifest
            self.stdout.write(
                f"{path}: {manifest['engine']} backup of {manifest['created']}, "
                f"{len(manifest['tables'])} tables, {sum(manifest['tables'].values())} rows, "
                f"{manifest['media']['files']} media files; checksums match."
            )
            if not yes and not self.confirmed():
                raise CommandError(
                    _("Nothing was restored: add --yes to replace the database and media files.")
                )
            try:
                backup.restore(checked)
            except backup.BackupError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"restored {path}"))

    def confirmed(self) -> bool:
        """Ask on a terminal; anything but a typed "yes" (or no terminal at all) is a no."""
        if not self.stdin_is_tty():
            return False
        answer = input(
            _("This replaces every row of the database and every media file. Type yes: ")
        )
        return answer.strip().lower() == "yes"

    @staticmethod
    def stdin_is_tty() -> bool:
        return sys.stdin.isatty()
