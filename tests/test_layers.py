"""The layers: an app imports only the apps below it, never above, lazily or not.

From the top: the pages (web, field, maps, dashboards) > assessment > fieldwork, community,
lostfound, open311 > notices > cases > people > territory > accounts > core. Where something
below must set off work above, it emits a domain event (``core.events``) that the app above
handles. The project's own modules (the API, the URLs, the demo) stand above every app; only
the pages reach them (the ``demo`` and ``export_openapi`` commands). ``wangge.fixtures`` is
data every app may read.

``KNOWN`` lists the upward imports still waiting for their move, each with what removes it;
a new one fails, and so does an entry once its import is gone.
"""

import ast
from pathlib import Path

import wangge

LAYERS = [
    {"core"},
    {"accounts"},
    {"territory"},
    {"people"},
    {"cases"},
    {"notices"},
    {"fieldwork", "community", "lostfound", "open311"},
    {"assessment"},
    {"web", "field", "maps", "dashboards"},
]
LEVEL = {app: level for level, layer in enumerate(LAYERS) for app in layer}
PAGES = LAYERS[-1]
PROJECT = {"api", "urls", "demo", "settings", "wsgi"}
DATA = {"fixtures"}

KNOWN = {
    ("cases/history.py", "demo"): "the demo's year of cases belongs to wangge.demo",
    ("cases/services.py", "notices"): "the loop's messages: notices handles case.changed",
    ("cases/public.py", "notices"): "the residents' pages offer notices' follow form",
    ("cases/lostfound.py", "notices"): "lost and found becomes its own app above notices",
    ("cases/lostfound_views.py", "notices"): "lost and found becomes its own app",
    ("people/api.py", "cases"): "a visit may be about a case (Visit.case): visits move up",
    ("people/views.py", "cases"): "the visit form offers the household's cases: visits move up",
}


def upward_imports() -> dict[tuple[str, str], list[str]]:
    """``(module, app it reaches)`` → the lines, for every import of an app not below."""
    root = Path(wangge.__file__).parent
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        app = relative.parts[0]
        if app not in LEVEL or {"tests", "migrations"} & set(relative.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] != "wangge" or len(parts) < 2 or parts[1] in {app, *DATA}:
                    continue
                other = parts[1]
                if other in PROJECT and app in PAGES:
                    continue
                if other not in LEVEL or LEVEL[other] >= LEVEL[app]:
                    key = (relative.as_posix(), other)
                    found.setdefault(key, []).append(f"{relative}:{node.lineno} {name}")
    return found


def test_apps_import_only_the_apps_below_them():
    found = upward_imports()
    new = {key: lines for key, lines in found.items() if key not in KNOWN}
    assert new == {}, "upward imports: move the code down, pass the thing in, or emit an event"
    gone = set(KNOWN) - set(found)
    assert gone == set(), "no longer imported: remove these from KNOWN"
