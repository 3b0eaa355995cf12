"""Check the translation catalogues: complete, compiled, and up to date with the sources.

Run by ``make test`` (``python -m wangge.core.messages_check``). Chinese is the first
language, so every message must have a Chinese translation; the compiled ``.mo`` files are
committed (a new machine may lack GNU gettext) and must match their ``.po``.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
LOCALES = {"zh_Hans": True, "en": False}  # locale → must every message be translated?

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _text(lines: list[str]) -> str:
    raw = "".join(m for line in lines for m in _STRING.findall(line))
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw)


def parse_po(path: Path) -> list[dict]:
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line]
        entry: dict = {"fuzzy": False, "msgstr": {}}
        key = None
        parts: dict[str, list[str]] = {}
        for line in lines:
            if line.startswith("#,"):
                entry["fuzzy"] = "fuzzy" in line
                continue
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (.*)$", line)
            if match:
                key = match.group(1)
                parts[key] = [match.group(2)]
            elif key:
                parts[key].append(line)
        if "msgid" not in parts:
            continue
        entry["msgid"] = _text(parts["msgid"])
        entry["context"] = _text(parts["msgctxt"]) if "msgctxt" in parts else None
        entry["plural"] = _text(parts["msgid_plural"]) if "msgid_plural" in parts else None
        for name, value in parts.items():
            if name.startswith("msgstr"):
                entry["msgstr"][name] = _text(value)
        if entry["msgid"]:
            entries.append(entry)
    return entries


def check_catalogue(locale: str, complete: bool) -> list[str]:
    problems = []
    folder = PACKAGE / "locale" / locale / "LC_MESSAGES"
    po, mo = folder / "django.po", folder / "django.mo"
    if not po.exists() or not mo.exists():
        return [f"{locale}: django.po or django.mo is missing"]
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in parse_po(po):
        label = f"{locale}: {entry['msgid'][:60]!r}"
        strings = [s for s in entry["msgstr"].values()]
        translated = all(strings) and not entry["fuzzy"]
        if complete and not translated:
            problems.append(f"{label} is not translated (or fuzzy)")
            continue
        if not translated:
            continue
        if entry["plural"]:
            got = compiled.ngettext(entry["msgid"], entry["plural"], 1)
            want = entry["msgstr"]["msgstr[0]"]
        elif entry["context"]:
            got = compiled.pgettext(entry["context"], entry["msgid"])
            want = entry["msgstr"]["msgstr"]
        else:
            got = compiled.gettext(entry["msgid"])
            want = entry["msgstr"]["msgstr"]
        if got != want:
            problems.append(f"{label}: django.mo is out of date (run `make messages`)")
    return problems


def check_up_to_date() -> list[str]:
    """Extract messages from a copy of the sources and compare with the catalogue."""
    if not shutil.which("xgettext"):
        print("messages: xgettext not installed; skipping the up-to-date check")
        return []
    with tempfile.TemporaryDirectory() as temp:
        copy = Path(temp) / "wangge"
        shutil.copytree(
            PACKAGE,
            copy,
            ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo", "migrations"),
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "django",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-location",
                "--no-obsolete",
                "--ignore",
                "static/*",
            ],
            cwd=copy,
            check=True,
            capture_output=True,
            env={
                "DJANGO_SETTINGS_MODULE": "wangge.settings",
                "PATH": "/usr/bin:/bin",
                "WANGGE_VAR_DIR": temp,
            },
        )
        fresh = {e["msgid"] for e in parse_po(copy / "locale/zh_Hans/LC_MESSAGES/django.po")}
    committed = {e["msgid"] for e in parse_po(PACKAGE / "locale/zh_Hans/LC_MESSAGES/django.po")}
    problems = [f"new message not in the catalogue: {m!r}" for m in sorted(fresh - committed)]
    problems += [
        f"catalogue holds a message no longer used: {m!r}" for m in sorted(committed - fresh)
    ]
    if problems:
        problems.append("run `make messages` and translate the new messages")
    return problems


def main() -> int:
    problems = []
    for locale, complete in LOCALES.items():
        problems += check_catalogue(locale, complete)
    problems += check_up_to_date()
    for problem in problems:
        print(problem)
    if not problems:
        print("messages: catalogues complete, compiled and up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
