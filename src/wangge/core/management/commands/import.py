import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from wangge.core.imports import REGISTRY, run_import


class Command(BaseCommand):
    help = (
        "Import buildings, households, persons or 12345 hotline work orders (hotline) from "
        ".xlsx or .csv. Every row is checked "
        "first; if any is wrong nothing is imported and each problem is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", choices=sorted(k for k, importer in REGISTRY.items() if importer.importable)
        )
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--as",
            dest="username",
            help="Act as this user (their scope applies and the audit log names them). "
            "Without it the import runs as the system.",
        )

    def handle(self, *args, kind, file, dry_run=False, username=None, **options):
        if not file.exists():
            raise CommandError(f"{file}: no such file")
        actor = None
        if username:
            try:
                actor = get_user_model().objects.get(username=username, is_active=True)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"no active user {username!r}") from exc

        verbosity = options.get("verbosity", 1)

        def progress(phase, done, total):
            if verbosity > 1:
                self.stderr.write(f"  {phase}: {done}/{total or '?'}")

        report = run_import(
            actor=actor,
            kind=kind,
            path=file,
            filename=file.name,
            dry_run=dry_run,
            progress=progress,
        )
        if not report.ok:
            self.stderr.write(
                ngettext(
                    "%(file)s: %(n)s problem found, nothing imported.",
                    "%(file)s: %(n)s problems found, nothing imported.",
                    report.error_count,
                )
                % {"file": file.name, "n": report.error_count}
            )
            for error in report.errors:
                self.stderr.write(f"  {error}")
            if report.error_count > len(report.errors):
                self.stderr.write(
                    "  " + gettext("… (only the first %(n)s shown)") % {"n": len(report.errors)}
                )
            sys.exit(1)
        verb = gettext("checked, all good (nothing written)") if dry_run else gettext("imported")
        self.stdout.write(
            gettext(
                "%(file)s: %(verb)s, %(rows)s rows: %(created)s new, %(updated)s updated,"
                " %(unchanged)s unchanged (%(seconds)s seconds)."
            )
            % {
                "file": file.name,
                "verb": verb,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "seconds": f"{report.seconds:.1f}",
            }
        )
