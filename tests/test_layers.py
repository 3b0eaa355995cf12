"""The layers of the house hold (``[tool.importlinter]`` in pyproject.toml, run by ``make
lint``): an app imports only the apps below it, lazily or not, and no two apps import each
other; and the contract has teeth — an upward import breaks it.

The layers, from the top: the URL configuration; the pages (``web``, ``field``, ``maps``,
``dashboards``); the demo and the API; ``assessment``; the peers ``fieldwork``, ``community``,
``lostfound``, ``open311``; ``notices``; ``cases``; ``people``; ``territory``; ``accounts``;
``core``. What an app below must set off above goes as a domain event (``core.events``).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.prefix) / "bin" / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_layers_hold():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """``core`` importing ``cases`` inside a function, in a copy of the code."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(
        ROOT / "src" / "wangge",
        tmp_path / "src" / "wangge",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates", "*.json"),
    )
    jobs = tmp_path / "src" / "wangge" / "core" / "jobs.py"
    jobs.write_text(
        jobs.read_text() + "\n\ndef _upward():\n    from wangge.cases import models  # noqa\n"
    )
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "wangge.core is not allowed to import wangge.cases" in done.stdout
    assert "wangge.core.jobs -> wangge.cases.models" in done.stdout
