"""The API's contract: the served OpenAPI schema is the committed snapshot, so a change to it
is always on purpose (``make openapi`` rewrites the snapshot)."""

import json
from pathlib import Path

import pytest
from django.test import Client

SNAPSHOT = Path(__file__).resolve().parents[4] / "tests" / "snapshots" / "openapi.json"


@pytest.fixture
def served():
    response = Client().get("/api/v1/openapi.json")  # no credentials needed
    assert response.status_code == 200
    return response.json()


def _differences(old: dict, new: dict) -> list[str]:
    lines = []
    for path in sorted(old["paths"].keys() | new["paths"].keys()):
        if old["paths"].get(path) != new["paths"].get(path):
            lines.append(f"  path {path}")
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name in sorted(old_schemas.keys() | new_schemas.keys()):
        if old_schemas.get(name) != new_schemas.get(name):
            lines.append(f"  schema {name}")
    return lines


def test_served_schema_is_the_committed_snapshot(served):
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if served != committed:
        changed = "\n".join(_differences(committed, served)) or "  (info or other top-level keys)"
        pytest.fail(
            "The API's OpenAPI schema differs from tests/snapshots/openapi.json:\n"
            f"{changed}\n"
            "If the change is intended, run `make openapi` and commit the snapshot.",
            pytrace=False,
        )


def test_every_path_is_under_api_v1(served):
    assert served["paths"]
    assert all(path.startswith("/api/v1/") for path in served["paths"])


def test_the_export_command_prints_the_served_schema(served, capsys):
    from django.core.management import call_command

    call_command("export_openapi")
    assert json.loads(capsys.readouterr().out) == served


def test_no_two_schemas_of_the_api_share_a_name():
    """OpenAPI names a schema by its class: two different classes of one name would document
    (and validate) one operation's answer with the other's fields. Classes of one name must
    describe the same thing."""
    from ninja import Schema

    import wangge.api  # noqa: F401 (every router, so every schema class, imported)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    by_name: dict[str, dict[str, dict]] = {}
    for cls in subclasses(Schema):
        if cls.__module__.startswith("wangge.") and "[" not in cls.__name__:
            schema = cls.model_json_schema()
            schema.pop("description", None)
            by_name.setdefault(cls.__name__, {})[f"{cls.__module__}.{cls.__qualname__}"] = schema
    clashes = [
        f"{name}: {', '.join(sorted(classes))}"
        for name, classes in sorted(by_name.items())
        if len({json.dumps(schema, sort_keys=True) for schema in classes.values()}) > 1
    ]
    assert clashes == [], "schemas of one name that differ:\n" + "\n".join(clashes)
