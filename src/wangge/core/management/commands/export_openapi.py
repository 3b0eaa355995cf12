import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Print the API's OpenAPI schema (the committed snapshot is tests/snapshots/openapi.json)."
    )

    def handle(self, *args, **options):
        from wangge.api import api

        schema = api.get_openapi_schema(path_prefix="/api/v1")
        self.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True))
