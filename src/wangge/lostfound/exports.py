"""Lost and found as a spreadsheet: the found-item list with its filters, export only (items
are recorded one by one, through their page or the API, never from a sheet)."""

from __future__ import annotations

from functools import cached_property

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from wangge.core.crypto import mask_phone
from wangge.core.imports import Importer, register
from wangge.core.tabular import Column, TableSpec, label_of
from wangge.lostfound.filters import FoundItemFilter
from wangge.lostfound.models import Claim, FoundItem


def _local(moment):
    """Beijing time without a zone, as spreadsheets hold it."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


@register
class FoundItemExporter(Importer):
    kind = "found-items"
    model = FoundItem
    importable = False
    filterset_class = FoundItemFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Lost and found"),
            columns=[
                Column("物品", "what"),
                Column("拾到地点", "where"),
                Column("拾到时间", "found_at"),
                Column("网格编码", "grid_code"),
                Column("网格", "grid"),
                Column("保管地点", "kept_at"),
                Column("认领电话", "contact_phone"),
                Column("拾到人", "finder_name"),
                Column("拾到人电话", "finder_phone"),
                Column("状态", "state"),
                Column("案件编号", "case_number"),
                Column("登记时间", "created_at"),
                Column("交还时间", "handed_over_at"),
            ],
        )

    def export_queryset(self, actor):
        return (
            FoundItem.objects.restrict(actor, "view")
            .select_related("grid", "case")
            .order_by("-found_at", "-id")
        )

    def export_rows(self, queryset, actor):
        handed = dict(
            Claim.objects.restrict(actor, "view")
            .filter(item__in=queryset, state=Claim.ClaimState.HANDED_OVER)
            .values_list("item_id", "handed_over_at")
        )
        for item in queryset.iterator(chunk_size=2000):
            yield {
                "what": item.what,
                "where": item.where,
                "found_at": _local(item.found_at),
                "grid_code": item.grid.code,
                "grid": item.grid.name,
                "kept_at": item.kept_at,
                "contact_phone": item.contact_phone,
                "finder_name": item.finder_name,
                "finder_phone": mask_phone(item.finder_phone),
                "state": label_of(FoundItem.ItemState, item.state),
                "case_number": item.case.number if item.case_id else "",
                "created_at": _local(item.created_at),
                "handed_over_at": _local(handed.get(item.pk)),
            }
