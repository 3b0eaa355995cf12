"""Views, API routes and exports read scoped models only through ``restrict`` (or
``inside``): a lint, as STYLE.md asks, so a new page cannot forget its user's scope."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

SRC = Path(__file__).resolve().parents[1] / "src" / "wangge"
# Importers are writers: they look rows up to check them and then check scope row by row
# with ``allowed()``; their exports start from ``export_queryset``, which restricts.
READERS = [
    "*/views.py",
    "*/api.py",
    "*/*_api.py",
    "*/*_views.py",
    "*/api_*.py",
    "*/views_*.py",
    "core/exports.py",
    "core/presenters.py",
    # the public doors: the residents' pages, Open311's feed and its clients' filing
    "web/residents.py",
    "open311/*.py",
]
DOORS = {"restrict", "inside"}
# Public doors have no user to restrict to: they read through named functions in a module of
# their own (``open311/public.py``, ``web/public.py``), each saying what it gives and to whom —
# the only modules a door may read scoped models from without ``restrict``.
PUBLIC = {"open311/public.py", "web/public.py"}


def scoped_models() -> set[str]:
    return {
        model.__name__
        for model in apps.get_models()
        if hasattr(model, "scope_field") and model.__module__.startswith("wangge.")
    }


def unguarded_reads(path: Path, names: set[str]) -> list[str]:
    """``Model.objects.<anything but restrict>`` for a scoped ``Model``."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)):
            continue
        manager = node.value
        if (
            manager.attr == "objects"
            and isinstance(manager.value, ast.Name)
            and manager.value.id in names
            and node.attr not in DOORS
        ):
            problems.append(
                f"{path.relative_to(SRC)}:{node.lineno} {manager.value.id}.objects.{node.attr}"
            )
    return problems


@pytest.mark.django_db
def test_no_reader_bypasses_restrict():
    names = scoped_models()
    assert {"Person", "Household", "Building", "Node", "AuditEvent"} <= names
    files = sorted(
        path
        for path in {path for pattern in READERS for path in SRC.glob(pattern)}
        if path.relative_to(SRC).as_posix() not in PUBLIC
    )
    assert files
    assert {
        "web/residents.py",
        "open311/views.py",
        "open311/intake.py",
        "fieldwork/api_patrols.py",
        "fieldwork/views_campaigns.py",
    } <= {path.relative_to(SRC).as_posix() for path in files}
    problems = [problem for path in files for problem in unguarded_reads(path, names)]
    assert problems == [], "reads outside restrict():\n" + "\n".join(problems)
