"""Visit plans as a spreadsheet: the list with its filters, export only (plans follow from the
register and the rules, never from a sheet)."""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import pgettext_lazy

from wangge.core.imports import Importer, register
from wangge.core.tabular import Column, TableSpec, label_of
from wangge.fieldwork import plans
from wangge.fieldwork.filters import VisitPlanFilter
from wangge.fieldwork.models import PlanState, VisitPlan


@register
class VisitPlanExporter(Importer):
    kind = "visit-plans"
    model = VisitPlan
    importable = False
    filterset_class = VisitPlanFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Visit plans"),
            columns=[
                Column("姓名", "name"),
                Column("网格编码", "grid_code"),
                Column("网格", "grid"),
                Column("户号", "household"),
                Column("关爱类别", "tag"),
                Column("走访周期（天）", "every_days"),
                Column("上次走访", "last_visit"),
                Column("应访日期", "due_on"),
                Column("逾期日期", "overdue_on"),
                Column("状态", "state"),
            ],
        )

    def export_queryset(self, actor):
        return (
            VisitPlan.objects.restrict(actor, "view")
            .select_related("person__grid", "person__household", "tag")
            .order_by("due_on", "person_id")
        )

    def export_rows(self, queryset, actor):
        day = plans.today()
        for plan in queryset.iterator(chunk_size=2000):
            person = plan.person
            yield {
                "name": person.name,
                "grid_code": person.grid.code,
                "grid": person.grid.name,
                "household": person.household.number if person.household_id else "",
                "tag": plan.tag.name,
                "every_days": plan.every_days,
                "last_visit": plans.local_day(plan.last_visit_at),
                "due_on": plan.due_on,
                "overdue_on": plan.overdue_on,
                "state": label_of(PlanState, plan.state_on(day)),
            }
