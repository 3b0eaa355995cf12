"""No Chinese written into the code: the interface's words go through gettext (English msgids,
Chinese in the zh_Hans catalogue), so that the English interface is complete.

Scanned: the templates and Python modules under ``src/wangge``, but not the demo district, the
standards' fixtures, migrations, catalogues, tests and vendored files. Not counted: comments,
docstrings, ``{% comment %}``, the arguments of gettext calls and the translate tags — and the
spreadsheet vocabulary (``DATA_CONTEXTS``): import and export column headers and the words
accepted in their cells are a file format staff fill in Chinese, whatever the interface's
language.
"""

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # the sources read, no database

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "wangge"
EXCLUDED = ("demo", "fixtures", "migrations", "locale", "tests", "static/vendor")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}

# Calls whose string arguments are spreadsheet vocabulary: column headers and their aliases.
DATA_CALLS = {"Column"}
# Names given to spreadsheet vocabulary: the words accepted in cells (``RELATION_SYNONYMS``,
# ``_TRUE``), the date patterns and formats read; and the languages' names in themselves.
DATA_NAMES = re.compile(
    r"^_?[A-Z_]*(SYNONYMS|WORDS|NAMES|ALIASES|HEADERS?|PATTERNS|FORMATS|TRUE|FALSE)$|^LANGUAGES$"
)
# Documentation, in English, that may quote a Chinese term: OpenAPI descriptions, and the
# commands' help (keyword arguments, and a command's ``help`` attribute).
DOCUMENTATION = {"description", "help"}


def sources(suffix):
    for path in sorted(PACKAGE.rglob(f"*{suffix}")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not any(f"/{part}/" in f"/{relative}" for part in EXCLUDED):
            yield relative, path


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def chinese_in_python(text: str) -> list[tuple[int, str]]:
    """(line, string) of every string literal with Han characters that is not a docstring,
    not a gettext call's argument, and not spreadsheet vocabulary."""
    tree = ast.parse(text)
    skipped = set()

    def skip(node):
        skipped.update(id(inner) for inner in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip(node)  # docstrings, and strings standing alone as comments
        elif (isinstance(node, ast.Call) and _name(node.func) in GETTEXT | DATA_CALLS) or (
            isinstance(node, ast.keyword) and node.arg in DOCUMENTATION
        ):
            skip(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(
                DATA_NAMES.match(_name(target)) or _name(target) in DOCUMENTATION
                for target in targets
            ):
                skip(node)
    # A column's own header, where an error names the column it is about.
    headers = {
        inner.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name(node.func) in DATA_CALLS
        for inner in ast.walk(node)
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and HAN.search(node.value)
        and id(node) not in skipped
        and node.value not in headers
    ]


TEMPLATE_SKIPPED = re.compile(
    r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}"
    r"|\{#.*?#\}"
    r"|<!--.*?-->"
    r"|\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}"
    r"|\{%\s*trans(?:late)?\b.*?%\}",
    re.DOTALL,
)


def chinese_in_template(text: str) -> list[tuple[int, str]]:
    found = []

    def blank(match):  # keep the line numbers
        return "\n" * match.group(0).count("\n")

    for number, line in enumerate(TEMPLATE_SKIPPED.sub(blank, text).splitlines(), start=1):
        if HAN.search(line):
            found.append((number, line.strip()))
    return found


def test_no_chinese_outside_gettext_in_python():
    found = []
    for relative, path in sources(".py"):
        found += [
            f"{relative}:{line}: {value!r}" for line, value in chinese_in_python(path.read_text())
        ]
    assert found == [], "Chinese outside gettext (msgids are English):\n" + "\n".join(found)


def test_no_chinese_outside_translate_tags_in_templates():
    found = []
    for relative, path in sources(".html"):
        found += [
            f"{relative}:{line}: {text}" for line, text in chinese_in_template(path.read_text())
        ]
    assert found == [], "Chinese outside translate tags:\n" + "\n".join(found)


def test_the_scanner_finds_what_it_should():
    python = '''
"""模块说明"""
from django.utils.translation import gettext as _
A = _("Name")  # 注释
B = "网格"
C = f"第{1}行"
D = Column("姓名", "name")
E = RowError(2, "姓名", "不能为空")
RELATION_SYNONYMS = {"妻": 1}
def f():
    """说明"""
    raise ValueError(_("No %(x)s") % {"x": "人"})
'''
    assert sorted({line for line, _value in chinese_in_python(python)}) == [5, 6, 8, 12]
    template = """{% load i18n %}{% comment %}注释{% endcomment %}
<h1>{% translate "Cases" %}</h1>{# 说明 #}
<p>{% blocktranslate with n=1 %}共 {{ n }} 件{% endblocktranslate %}</p>
<p>案件</p>
<!-- 注释 -->"""
    assert chinese_in_template(template) == [(4, "<p>案件</p>")]
