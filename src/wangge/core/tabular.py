"""Spreadsheets in and out: ``.xlsx`` and ``.csv`` with Chinese column headers.

A ``TableSpec`` lists the columns of one kind of record. ``parse_table`` reads a file,
maps its headers to columns and parses every cell, collecting a ``RowError`` (row, column,
message in words, through gettext) for each bad one, so the whole file is judged before
anything is written.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext, pgettext

from wangge.core.inputs import too_long

ID_HEADER = "ID"


class CellError(ValueError):
    """A cell's value is wrong; the message says why."""


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self):
        if self.row and self.column:
            where = gettext("Row %(row)s, column “%(column)s”") % {
                "row": self.row,
                "column": self.column,
            }
        elif self.row:
            where = gettext("Row %(row)s") % {"row": self.row}
        else:
            where = gettext("The file")
        return gettext("%(where)s: %(message)s") % {"where": where, "message": self.message}

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Column:
    header: str
    key: str
    required: bool = False
    parse: Callable[[Any], Any] | None = None
    aliases: tuple[str, ...] = ()
    export: Callable[[Any], Any] | None = None
    help: str = ""
    # The most characters a cell's text may have (the column it is stored in): longer text is
    # refused naming the column and its limit, never cut.
    limit: int | None = None


@dataclass
class TableSpec:
    kind: str
    title: str
    columns: list[Column]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def header_of(self, name: str) -> str:
        """The header of the column with key ``name``; ``name`` itself if it is a header."""
        return next((column.header for column in self.columns if column.key == name), name)


@dataclass
class ParsedTable:
    rows: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # keys of the columns the file has


# --- Cell parsers ------------------------------------------------------------------------------


def text(value) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def long_number_text(value) -> str:
    """Text for long digit strings (ID numbers), refusing what Excel has already mangled."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise CellError(
            gettext(
                "Long numbers must be saved as text (Excel turns 18 digits into scientific"
                " notation)"
            )
        )
    return text(value)


def integer(value, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    raw = text(value)
    if raw == "":
        return None
    try:
        number = int(float(raw)) if re.fullmatch(r"-?\d+(\.0+)?", raw) else int(raw)
    except ValueError as exc:
        raise CellError(gettext("Should be a whole number, not “%(raw)s”") % {"raw": raw}) from exc
    if minimum is not None and number < minimum:
        raise CellError(gettext("May not be less than %(n)s") % {"n": minimum})
    if maximum is not None and number > maximum:
        raise CellError(gettext("May not be more than %(n)s") % {"n": maximum})
    return number


def decimal_number(value) -> float | None:
    raw = text(value)
    if raw == "":
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise CellError(gettext("Should be a number, not “%(raw)s”") % {"raw": raw}) from exc


_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"), (1, 2, 3)),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), (1, 2, 3)),
]


def date(value) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    for pattern, (y, m, d) in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            try:
                return datetime.date(int(match[y]), int(match[m]), int(match[d]))
            except ValueError:
                break
    raise CellError(gettext("Not a date: “%(raw)s” (write it like 1990-01-31)") % {"raw": raw})


def choice(mapping: dict[str, str], what: str) -> Callable[[Any], str]:
    """A parser accepting the Chinese labels (and the codes) in ``mapping``."""

    def parse(value) -> str:
        raw = text(value)
        if raw == "":
            return ""
        if raw in mapping:
            return mapping[raw]
        labels = pgettext("list separator", ", ").join(
            dict.fromkeys(k for k in mapping if not k.isascii())
        )
        raise CellError(
            gettext("Unknown %(what)s “%(raw)s” (it may be: %(labels)s)")
            % {"what": what, "raw": raw, "labels": labels}
        )

    return parse


def split_list(value) -> list[str]:
    return [item.strip() for item in re.split(r"[;；,，、]", text(value)) if item.strip()]


# --- Reading -----------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CellError(gettext("The file's encoding is not known (save the CSV as UTF-8 or GBK)"))


def iter_file_rows(path: Path | str, filename: str = "") -> Iterator[tuple]:
    """Every row of the first sheet (``.xlsx``) or of the file (``.csv``), as tuples."""
    name = (filename or str(path)).lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise CellError(
                gettext("The Excel file cannot be read: %(error)s") % {"error": exc}
            ) from exc
        try:
            yield from workbook.worksheets[0].iter_rows(values_only=True)
        finally:
            workbook.close()
    elif name.endswith(".csv"):
        content = _decode(Path(path).read_bytes())
        yield from (tuple(row) for row in csv.reader(io.StringIO(content)))
    else:
        raise CellError(gettext("Only .xlsx and .csv files can be read"))


def parse_table(
    spec: TableSpec,
    path: Path | str,
    filename: str = "",
    *,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
) -> ParsedTable:
    """Read and parse every row; errors are collected, never raised."""
    result = ParsedTable()
    try:
        rows = iter_file_rows(path, filename)
        header = next(rows, None)
    except CellError as exc:
        result.errors.append(RowError(0, "", str(exc)))
        return result
    if header is None:
        result.errors.append(RowError(0, "", gettext("The file is empty")))
        return result
    by_header = {}
    for column in spec.columns:
        for name in (column.header, *column.aliases):
            by_header[name] = column
    positions: list[tuple[int, Column]] = []
    for position, raw in enumerate(header):
        column = by_header.get(text(raw))
        if column is not None:
            positions.append((position, column))
            result.present.add(column.key)
    for column in spec.columns:
        if column.required and column.key not in result.present:
            result.errors.append(RowError(1, column.header, gettext("This column is missing")))
    if result.errors:
        return result
    cells = [
        (position, column.key, column.parse or text, column.required, column.header, column.limit)
        for position, column in positions
    ]
    try:
        for number, values in enumerate(rows, start=2):
            width = len(values)
            if values.count(None) + values.count("") == width:
                continue  # blank lines at the end of sheets are common
            row = {}
            for position, key, parse, required, header, limit in cells:
                try:
                    parsed = parse(values[position] if position < width else None)
                except CellError as exc:
                    result.errors.append(RowError(number, header, str(exc)))
                    continue
                if required and (parsed == "" or parsed is None):
                    result.errors.append(RowError(number, header, gettext("May not be empty")))
                    continue
                if parsed.__class__ is str:
                    if limit is not None and len(parsed) > limit:
                        result.errors.append(RowError(number, header, too_long(limit, len(parsed))))
                        continue
                    if "\x00" in parsed:
                        result.errors.append(
                            RowError(number, header, gettext("Null characters are not allowed."))
                        )
                        continue
                row[key] = parsed
            result.rows.append((number, row))
            if on_progress and number % progress_every == 0:
                on_progress(number - 1)
    except CellError as exc:
        result.errors.append(RowError(0, "", str(exc)))
    return result


# --- Writing -----------------------------------------------------------------------------------


def write_csv(spec: TableSpec, records: Iterable[Any], stream) -> None:
    """CSV with a BOM, so Excel opens the Chinese text correctly."""
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow(spec.headers)
    for record in records:
        writer.writerow([_export_value(column, record) for column in spec.columns])


def write_xlsx(spec: TableSpec, records: Iterable[Any], path: Path | str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(spec.title[:31])
    bold = Font(bold=True)
    header = []
    for title in spec.headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for record in records:
        sheet.append([_export_value(column, record) for column in spec.columns])
    workbook.save(path)


def _export_value(column: Column, record) -> Any:
    value = column.export(record) if column.export else record.get(column.key)
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.datetime | int | float):
        return value
    return str(value)


def choice_labels(choices, synonyms: dict[str, str] | None = None) -> dict[str, str]:
    """Map Chinese labels, English labels and codes of a ``TextChoices`` to its values."""
    from django.utils import translation

    mapping: dict[str, str] = {}
    with translation.override("zh-hans"):
        for value, label in choices.choices:
            mapping[str(label)] = value
    for value, label in choices.choices:
        mapping.setdefault(str(label), value)
        mapping.setdefault(str(value), value)
    for word, value in (synonyms or {}).items():
        mapping.setdefault(word, value)
    return mapping


def label_of(choices, value) -> str:
    """The Chinese label for a stored value (what exports write)."""
    from django.utils import translation

    if value in (None, ""):
        return ""
    with translation.override("zh-hans"):
        return str(choices(value).label)


def person_name(user) -> str:
    """A person as exports name them: by their name, never by their login (an account with no
    name is named by its login, labelled as an account)."""
    from django.utils import translation

    if user is None:
        return ""
    with translation.override("zh-hans"):
        return user.name
