import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from wangge.territory.choices import CRS
from wangge.territory.services import import_grids


class Command(BaseCommand):
    help = (
        "Create or update grids from a GeoJSON FeatureCollection (properties: code, name, "
        "kind, parent). Every feature is checked — a valid polygon, inside its community, "
        "not overlapping a sibling — and if any fails nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--crs",
            choices=[choice.value for choice in CRS],
            default=CRS.WGS84,
            help="Coordinate system of the file (GCJ-02 from AMap/Tencent, BD-09 from Baidu).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args, file, crs, dry_run=False, **options):
        try:
            collection = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"{file}: no such file") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: not valid GeoJSON ({exc})") from exc
        report = import_grids(actor=None, collection=collection, crs=crs, dry_run=dry_run)
        if not report.ok:
            self.stderr.write(
                ngettext(
                    "%(file)s: %(n)s problem, no grid imported.",
                    "%(file)s: %(n)s problems, no grid imported.",
                    len(report.problems),
                )
                % {"file": file.name, "n": len(report.problems)}
            )
            for problem in report.problems:
                self.stderr.write(f"  {problem}")
            sys.exit(1)
        verb = gettext("checked, all good (nothing written)") if dry_run else gettext("imported")
        self.stdout.write(
            gettext(
                "%(file)s: %(verb)s: %(created)s grids new, %(updated)s updated, %(moved)s"
                " buildings moved to another grid."
            )
            % {
                "file": file.name,
                "verb": verb,
                "created": report.created,
                "updated": report.updated,
                "moved": report.buildings_moved,
            }
        )
