"""Fast inserts of many rows, for the bulk services (imports, the demo).

Django's ``bulk_create`` compiles every field of every object through the ORM; at a hundred
thousand rows that costs more than reading the spreadsheet. Here each field gets one
converter, chosen once, and rows go to the database as multi-row ``INSERT … RETURNING``
statements. Only the bulk services use it, inside their transaction; what they insert has
been checked like any other write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

from django.db import connection, models

from wangge.core.fields import EncryptedCharField

# Fields whose Python value is what the database stores.
_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
    models.ForeignKey,
)


def _converter(field: models.Field) -> Callable:
    if isinstance(field, EncryptedCharField):
        return lambda value: field.get_prep_value(value)
    if isinstance(field, models.ForeignKey):
        return lambda value: value
    if isinstance(field, models.JSONField):
        # Both backends take JSON text (psycopg sends text untyped, so it lands as jsonb).
        encoder = field.encoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    if isinstance(field, models.DateTimeField):
        return _remembering(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, _AS_IS):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)


def _remembering(convert: Callable) -> Callable:
    """Bulk rows share one timestamp: convert it once."""
    last: list = [object(), None]

    def remembered(value):
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return remembered


def insert(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Iterable[Sequence],
    *,
    returning: bool = False,
) -> list[int]:
    """Insert ``rows`` (values in the order of ``field_names``; foreign keys by id).

    Returns the new primary keys, in row order, when ``returning`` is set. On PostgreSQL the
    rows go through ``COPY`` (keys drawn from the table's sequence first); elsewhere through
    multi-row ``INSERT … RETURNING``.
    """
    fields = [model._meta.get_field(name) for name in field_names]
    convert = [_converter(field) for field in fields]
    converted = ([conv(value) for conv, value in zip(convert, row, strict=True)] for row in rows)
    if connection.vendor == "postgresql":
        return _copy(model, fields, converted, returning)
    return _insert_values(model, fields, converted, returning)


def _copy(model, fields, rows, returning: bool) -> list[int]:
    quote = connection.ops.quote_name
    table = model._meta.db_table
    pk = model._meta.pk.column
    rows = list(rows)
    ids: list[int] = []
    columns = [field.column for field in fields]
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = [pk, *columns]
            rows = [[key, *row] for key, row in zip(ids, rows, strict=True)]
        sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    return ids


def _insert_values(model, fields, rows, returning: bool) -> list[int]:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(model._meta.db_table)
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    # SQLite allows 32,766 parameters a statement.
    per_batch = max(1, min(2000, 32_000 // len(fields)))
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    ids: list[int] = []
    batch: list = []

    def flush():
        sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([marks] * len(batch))}{tail}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in batch for value in row])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= per_batch:
            flush()
    if batch:
        flush()
    return ids
