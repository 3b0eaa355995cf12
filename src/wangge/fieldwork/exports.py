"""Visit plans as a spreadsheet: the list with its filters, export only (plans follow from the
register and the rules, never from a sheet)."""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import pgettext_lazy

from wangge.cases.choices import State
from wangge.core import formspec
from wangge.core.imports import Importer, register
from wangge.core.tabular import Column, TableSpec, label_of, person_name
from wangge.fieldwork import campaigns as campaign_logic
from wangge.fieldwork import plans
from wangge.fieldwork.filters import CampaignFilter, CheckFilter, VisitPlanFilter
from wangge.fieldwork.models import (
    Campaign,
    CampaignKind,
    CampaignState,
    Check,
    CheckResult,
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


# --- Campaigns ---


@register
class CampaignExporter(Importer):
    """The campaigns of the list, with their coverage and the cases they opened."""

    kind = "campaigns"
    model = Campaign
    importable = False
    filterset_class = CampaignFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Campaigns"),
            columns=[
                Column("名称", "title"),
                Column("类型", "kind"),
                Column("地点编码", "place_code"),
                Column("地点", "place"),
                Column("开始日期", "starts_on"),
                Column("结束日期", "ends_on"),
                Column("状态", "state"),
                Column("楼栋数", "buildings"),
                Column("已排查", "checked"),
                Column("发现隐患", "hazards"),
                Column("覆盖率（%）", "percent"),
                Column("立案数", "cases"),
                Column("未办结", "cases_open"),
                Column("创建人", "created_by"),
            ],
        )

    def export_queryset(self, actor):
        return (
            Campaign.objects.restrict(actor, "view")
            .select_related("node", "created_by", "checklist__form")
            .order_by("-starts_on", "-id")
        )

    def export_rows(self, queryset, actor):
        for campaign in queryset:
            cover = campaign_logic.coverage(campaign, actor, with_buildings=False).total
            found = campaign_logic.findings(campaign, actor)
            yield {
                "title": campaign.title,
                "kind": label_of(CampaignKind, campaign.kind),
                "place_code": campaign.node.code,
                "place": campaign.node.name,
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "state": label_of(CampaignState, campaign.state),
                "buildings": cover.buildings,
                "checked": cover.checked,
                "hazards": cover.hazards,
                "percent": cover.percent,
                "cases": found.cases,
                "cases_open": found.cases_open,
                "created_by": person_name(campaign.created_by) if campaign.created_by else "",
            }


@register
class CheckExporter(Importer):
    """A campaign's checks (its report's table): what was checked, by whom, the answers in
    words, the hazards and the cases they opened with their states."""

    kind = "campaign-checks"
    model = Check
    importable = False
    filterset_class = CheckFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Campaign checks"),
            columns=[
                Column("排查活动", "campaign"),
                Column("网格编码", "grid_code"),
                Column("网格", "grid"),
                Column("楼栋或场所", "place"),
                Column("排查人", "checked_by"),
                Column("排查时间", "checked_at"),
                Column("结果", "result"),
                Column("隐患", "hazards"),
                Column("排查情况", "answers"),
                Column("备注", "note"),
                Column("案件编号", "cases"),
                Column("案件状态", "case_states"),
            ],
        )

    def export_queryset(self, actor):
        return (
            Check.objects.restrict(actor, "view")
            .select_related("campaign__checklist__form", "grid", "building", "checked_by")
            .prefetch_related("cases")
            .order_by("campaign_id", "grid__code", "checked_at", "id")
        )

    def export_rows(self, queryset, actor):
        from django.utils import timezone

        labels: dict[int, dict] = {}
        for check in queryset.iterator(chunk_size=2000):
            form = check.campaign.checklist.form
            if form.pk not in labels:
                labels[form.pk] = {question.code: question for question in formspec.questions(form)}
            questions = labels[form.pk]
            answers = "；".join(
                f"{questions[code].label}：{formspec.answer_text(questions[code], value)}"
                for code, value in check.answers.items()
                if code in questions
            )
            place = (
                f"{check.building.compound}{check.building.name}"
                if check.building_id
                else check.place_name
            )
            cases = list(check.cases.all())
            yield {
                "campaign": check.campaign.title,
                "grid_code": check.grid.code,
                "grid": check.grid.name,
                "place": place,
                "checked_by": person_name(check.checked_by) if check.checked_by_id else "",
                "checked_at": timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M"),
                "result": label_of(CheckResult, check.result),
                "hazards": "、".join(
                    questions[code].label for code in check.hazards if code in questions
                ),
                "answers": answers,
                "note": check.note,
                "cases": "、".join(case.number for case in cases),
                "case_states": "、".join(label_of(State, case.state) for case in cases),
            }
