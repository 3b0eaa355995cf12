"""Notices as a spreadsheet: the notice list with its filters and, for each notice, how its
messages fared. Export only (notices are written one by one, through their page or the API)."""

from __future__ import annotations

from collections import Counter
from functools import cached_property

from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import pgettext_lazy

from wangge.core.imports import Importer, register
from wangge.core.tabular import Column, TableSpec, label_of, person_name
from wangge.notices.choices import DeliveryState, NoticeState
from wangge.notices.filters import NoticeFilter
from wangge.notices.models import Delivery, Notice

EXPORT_KIND = "notices"

# The channels a notice goes out on; the spreadsheet names them as the form does, in Chinese.
CHANNEL_FIELDS = ["to_web", "to_wecom", "to_sms", "to_email"]
WAITING = {DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.FAILED}


def _local(moment):
    """Beijing time without a zone, as spreadsheets hold it."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


@register
class NoticeExporter(Importer):
    kind = EXPORT_KIND
    model = Notice
    importable = False
    filterset_class = NoticeFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Notices"),
            columns=[
                Column("标题", "title"),
                Column("类别", "kind"),
                Column("范围编码", "node_code"),
                Column("范围", "node"),
                Column("状态", "state"),
                Column("渠道", "channels"),
                Column("撰写人", "created_by"),
                Column("撰写时间", "created_at"),
                Column("审核人", "approved_by"),
                Column("审核时间", "approved_at"),
                Column("定时发出", "publish_at"),
                Column("下架时间", "expires_at"),
                Column("已送达", "sent"),
                Column("已记录（未发出）", "logged"),
                Column("待发送", "waiting"),
                Column("未送达", "dead"),
            ],
        )

    def export_queryset(self, actor):
        return (
            Notice.objects.restrict(actor, "view")
            .select_related("kind", "node", "created_by", "approved_by")
            .order_by("-created_at", "-id")
        )

    def export_rows(self, queryset, actor):
        counts: dict[int, Counter] = {}
        tally = (
            Delivery.objects.filter(notice__in=queryset.values("pk"))
            .values_list("notice_id", "state")
            .annotate(n=Count("pk"))
        )
        for notice_id, state, n in tally:
            counts.setdefault(notice_id, Counter())[state] += n
        with translation.override("zh-hans"):
            channels = [
                (field, str(Notice._meta.get_field(field).verbose_name)) for field in CHANNEL_FIELDS
            ]
        for notice in queryset.iterator(chunk_size=2000):
            fared = counts.get(notice.pk, Counter())
            yield {
                "title": notice.title,
                "kind": notice.kind.name,
                "node_code": notice.node.code,
                "node": notice.node.name,
                "state": label_of(NoticeState, notice.state),
                "channels": "、".join(name for field, name in channels if getattr(notice, field)),
                "created_by": person_name(notice.created_by),
                "created_at": _local(notice.created_at),
                "approved_by": person_name(notice.approved_by),
                "approved_at": _local(notice.approved_at),
                "publish_at": _local(notice.publish_at),
                "expires_at": _local(notice.expires_at),
                "sent": fared[DeliveryState.SENT],
                "logged": fared[DeliveryState.LOGGED],
                "waiting": sum(fared[state] for state in WAITING),
                "dead": fared[DeliveryState.DEAD],
            }
