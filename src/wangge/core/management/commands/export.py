from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wangge.core.exports import record_export
from wangge.core.imports import REGISTRY
from wangge.core.tabular import write_csv, write_xlsx


class Command(BaseCommand):
    help = (
        "Export buildings, households, persons, hotline work orders or cases (the import's "
        "columns where there is an import; .xlsx or .csv)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(REGISTRY))
        parser.add_argument("file", type=Path, help="Where to write; .xlsx or .csv")
        parser.add_argument("--as", dest="username", required=True, help="Export as this user.")

    def handle(self, *args, kind, file, username, **options):
        try:
            actor = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no active user {username!r}") from exc
        importer = REGISTRY[kind]
        queryset = importer.export_queryset(actor)
        if file.suffix not in {".xlsx", ".csv"}:
            raise CommandError("the file must end in .xlsx or .csv")
        record_export(importer, queryset, actor, file.suffix[1:])
        rows = importer.export_rows(queryset, actor)
        if file.suffix == ".xlsx":
            write_xlsx(importer.spec, rows, file)
        else:
            with file.open("w", encoding="utf-8", newline="") as handle:
                write_csv(importer.spec, rows, handle)
        self.stdout.write(f"wrote {file}")
