"""Exports: the import columns, filled from a restricted queryset, as CSV or XLSX."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from wangge.core import audit
from wangge.core.tabular import write_csv, write_xlsx


def disposition(filename: str) -> str:
    """An attachment header that keeps a Chinese file name (RFC 6266 / 5987)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class _Echo:
    def write(self, value):
        return value


def _csv_stream(spec, rows):
    """Yield the CSV a line at a time, so large exports never sit in memory."""
    import csv

    pseudo = _Echo()
    writer = csv.writer(pseudo)
    yield "\ufeff"
    yield writer.writerow(spec.headers)
    for row in rows:
        yield writer.writerow(
            ["" if row.get(c.key) is None else row.get(c.key) for c in spec.columns]
        )


def record_export(importer, queryset, actor, fmt: str) -> None:
    """Exports of the register are personal data leaving the system: each is audited."""
    from wangge.core.scope import common_ancestor_id, get_scope, permission_name

    count = queryset.count()
    paths = get_scope(actor).paths(permission_name(importer.model, "view"))
    audit.record(
        actor=actor,
        node_id=common_ancestor_id(paths),
        action="core.export.downloaded",
        target_repr=f"{importer.kind} ({count})",
        after={"kind": importer.kind, "format": fmt, "rows": count},
    )


def respond(importer, queryset, actor, fmt: str):
    record_export(importer, queryset, actor, fmt)
    rows = importer.export_rows(queryset, actor)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{importer.spec.title}-{stamp}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            _csv_stream(importer.spec, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
        write_xlsx(importer.spec, rows, handle.name)
        handle.seek(0)
        response = FileResponse(
            handle,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = disposition(filename)
    return response


__all__ = ["disposition", "record_export", "respond", "write_csv"]
