"""Cases sits below notices and the pages: it imports none of them, not even inside a
function. What must happen above when a case changes goes out as a domain event
(``core.events``); pages that show cases with notices live above both (``web``)."""

import ast
from pathlib import Path

CASES = Path(__file__).resolve().parents[1]
# Every app above cases (DESIGN's layers), whether it exists yet or not.
ABOVE = (
    "notices",
    "fieldwork",
    "community",
    "lostfound",
    "open311",
    "assessment",
    "web",
    "field",
    "maps",
    "dashboards",
)


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, at any depth (functions, branches)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # ``from wangge import notices``
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def reaches_above(module: str) -> bool:
    return any(module == f"wangge.{app}" or module.startswith(f"wangge.{app}.") for app in ABOVE)


def sources() -> list[Path]:
    return sorted(
        path for path in CASES.rglob("*.py") if "tests" not in path.relative_to(CASES).parts
    )


def test_the_walk_finds_imports_inside_functions():
    tree = ast.parse("def f():\n    from wangge.notices import loop\n    import wangge.web.views\n")
    assert [module for _line, module in imported(tree) if reaches_above(module)] == [
        "wangge.notices",
        "wangge.notices.loop",
        "wangge.web.views",
    ]
    assert not reaches_above("wangge.cases.open311")  # cases' own Open311 module


def test_cases_imports_nothing_above_it():
    files = sources()
    assert CASES / "services" / "timeline.py" in files
    above = [
        f"{path.relative_to(CASES)}:{line} {module}"
        for path in files
        for line, module in imported(ast.parse(path.read_text(encoding="utf-8")))
        if reaches_above(module)
    ]
    assert above == [], "cases imports from above it:\n" + "\n".join(above)
