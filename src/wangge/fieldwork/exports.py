"""Visit plans as a spreadsheet: the list with its filters, export only (plans follow from the
register and the rules, never from a sheet)."""

from __future__ import annotations

from functools import cached_property

from django.db.models import Count
from django.utils.translation import pgettext_lazy

from wangge.core.imports import Importer, register
from wangge.core.tabular import Column, TableSpec, label_of, person_name
from wangge.fieldwork import plans
from wangge.fieldwork.filters import PatrolFilter, VisitPlanFilter
from wangge.fieldwork.models import Patrol, PatrolKind, PatrolState, PlanState, VisitPlan
from wangge.fieldwork.patrols import local_moment
from wangge.fieldwork.patrols import place_name as patrol_place


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


# --- Patrols ---


@register
class PatrolExporter(Importer):
    kind = "patrols"
    model = Patrol
    importable = False
    filterset_class = PatrolFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Patrols"),
            columns=[
                Column("网格编码", "grid_code"),
                Column("网格", "grid"),
                Column("类型", "kind"),
                Column("状态", "state"),
                Column("带队", "leader"),
                Column("队员", "members"),
                Column("计划开始", "planned_start"),
                Column("开始", "started_at"),
                Column("结束", "ended_at"),
                Column("巡查时长（分钟）", "minutes"),
                Column("里程（米）", "distance_m"),
                Column("发现问题", "findings"),
                Column("扫码点位", "scans"),
            ],
        )

    def export_queryset(self, actor):
        return (
            Patrol.objects.restrict(actor, "view")
            .select_related("grid__parent", "leader")
            .prefetch_related("members")
            .annotate(finding_count=Count("findings", distinct=True))
            .annotate(scan_count=Count("scans", distinct=True))
            .order_by("-started_at", "-pk")
        )

    def export_rows(self, queryset, actor):
        for patrol in queryset.iterator(chunk_size=500):
            yield {
                "grid_code": patrol.grid.code,
                "grid": patrol_place(patrol.grid),
                "kind": label_of(PatrolKind, patrol.kind),
                "state": label_of(PatrolState, patrol.state),
                "leader": person_name(patrol.leader),
                "members": "、".join(person_name(user) for user in patrol.members.all()),
                "planned_start": local_moment(patrol.planned_start),
                "started_at": local_moment(patrol.started_at),
                "ended_at": local_moment(patrol.ended_at),
                "minutes": round(patrol.duration_s / 60),
                "distance_m": patrol.distance_m,
                "findings": patrol.finding_count,
                "scans": patrol.scan_count,
            }
