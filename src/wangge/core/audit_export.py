"""The audit log as a spreadsheet, from its page with the page's filters (export only)."""

from __future__ import annotations

from functools import cached_property

from django.utils import timezone
from django.utils.translation import override, pgettext_lazy

from wangge.core.filters import AuditFilter
from wangge.core.imports import Importer, register
from wangge.core.models import AuditEvent
from wangge.core.presenters import present
from wangge.core.tabular import Column, TableSpec, person_name

CHUNK = 500


@register
class AuditExporter(Importer):
    kind = "audit"
    model = AuditEvent
    importable = False
    filterset_class = AuditFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Audit log"),
            columns=[
                Column("时间", "at"),
                Column("操作人", "actor"),
                # The account, for the administrator who needs to know which one acted.
                Column("操作人账号", "login"),
                Column("操作", "action"),
                Column("操作代码", "code"),
                Column("对象", "target"),
                Column("辖区", "place"),
                Column("原因", "reason"),
                Column("变更", "changes"),
                Column("请求号", "request_id"),
            ],
        )

    def export_queryset(self, actor):
        return (
            AuditEvent.objects.restrict(actor, "view")
            .select_related("node", "actor")
            .order_by("-at", "-id")
        )

    def export_rows(self, queryset, actor):
        # The words of the audit page, in Chinese as the sheet's headers, a chunk at a time
        # (the page's presenters look names up per batch).
        batch = []
        with override("zh-hans"):
            for event in queryset.iterator(chunk_size=CHUNK):
                batch.append(event)
                if len(batch) == CHUNK:
                    yield from self._rows(batch, actor)
                    batch = []
            yield from self._rows(batch, actor)

    def _rows(self, events, actor):
        for row in present(events, actor):
            event = row["event"]
            yield {
                "at": timezone.localtime(event.at).replace(tzinfo=None, microsecond=0),
                # The person by name; the system (the CLI, the demo builder) in words.
                "actor": person_name(event.actor) if event.actor is not None else row["actor"],
                "login": event.actor.username if event.actor is not None else "",
                "action": row["action"],
                "code": event.action,
                "target": row["target"],
                "place": row["place"],
                "reason": row["reason"],
                "changes": "；".join(
                    f"{change.field}：{change.before} → {change.after}"
                    if change.before
                    else f"{change.field}：{change.after}"
                    for change in row["changes"]
                ),
                "request_id": event.request_id,
            }
