"""Visit plans as a spreadsheet: the list with its filters, export only (plans follow from the
register and the rules, never from a sheet)."""

from __future__ import annotations

from functools import cached_property

from django.db.models import Count
from django.utils.translation import pgettext_lazy

from wangge.core.imports import Importer, register
from wangge.core.tabular import Column, TableSpec, label_of
from wangge.fieldwork import disputes, plans
from wangge.fieldwork.filters import DisputeFilter, VisitPlanFilter
from wangge.fieldwork.models import (
    Dispute,
    DisputeSource,
    DisputeState,
    PartyRole,
    PlanState,
    VisitPlan,
)


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


# --- Disputes ---


@register
class DisputeExporter(Importer):
    """The disputes list with its filters, export only; the parties masked."""

    kind = "disputes"
    model = Dispute
    importable = False
    filterset_class = DisputeFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Disputes"),
            columns=[
                Column("编号", "number"),
                Column("纠纷名称", "title"),
                Column("纠纷类别", "kind"),
                Column("网格编码", "grid_code"),
                Column("网格", "grid"),
                Column("来源", "source"),
                Column("排查活动", "drive"),
                Column("关联案件", "case"),
                Column("申请人", "applicants"),
                Column("被申请人", "respondents"),
                Column("调解员", "mediators"),
                Column("受理日期", "received_on"),
                Column("调解次数", "sessions"),
                Column("状态", "state"),
                Column("移交单位", "referred_to"),
                Column("结果日期", "outcome_on"),
                Column("回访次数", "follow_ups"),
            ],
        )

    def export_queryset(self, actor):
        return (
            disputes.visible(actor)
            .annotate(
                session_count=Count("sessions", distinct=True),
                follow_up_count=Count("follow_ups", distinct=True),
            )
            .order_by("-received_at", "-id")
        )

    def export_rows(self, queryset, actor):
        for dispute in queryset.iterator(chunk_size=500):
            parties = [disputes.party_data(party) for party in dispute.parties.all()]
            yield {
                "number": dispute.number,
                "title": dispute.title,
                "kind": dispute.kind.name,
                "grid_code": dispute.grid.code,
                "grid": dispute.grid.name,
                "source": label_of(DisputeSource, dispute.source),
                "drive": dispute.drive,
                "case": dispute.case.number if dispute.case_id else "",
                "applicants": "、".join(
                    p["name"] for p in parties if p["role"] == PartyRole.APPLICANT
                ),
                "respondents": "、".join(
                    p["name"] for p in parties if p["role"] == PartyRole.RESPONDENT
                ),
                "mediators": "、".join(user.name for user in dispute.mediators.all()),
                "received_on": disputes.local_day(dispute.received_at),
                "sessions": dispute.session_count,
                "state": label_of(DisputeState, dispute.state),
                "referred_to": dispute.referred_to,
                "outcome_on": disputes.local_day(dispute.outcome_at),
                "follow_ups": dispute.follow_up_count,
            }
