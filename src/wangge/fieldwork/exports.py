"""Visit plans as a spreadsheet: the list with its filters, export only (plans follow from the
register and the rules, never from a sheet)."""

from __future__ import annotations

from functools import cached_property

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from wangge.cases.choices import State
from wangge.core import formspec
from wangge.core.imports import Importer, register
from wangge.core.tabular import Column, TableSpec, label_of, person_name
from wangge.fieldwork import campaigns as campaign_logic
from wangge.fieldwork import disputes, plans, team
from wangge.fieldwork.filters import (
    CampaignFilter,
    CareRequestFilter,
    CheckFilter,
    DisputeFilter,
    PatrolFilter,
    TeamFilter,
    VisitPlanFilter,
)
from wangge.fieldwork.models import (
    Campaign,
    CampaignKind,
    CampaignState,
    CareRequest,
    Check,
    CheckResult,
    Dispute,
    DisputeSource,
    DisputeState,
    ErrandState,
    PartyRole,
    Patrol,
    PatrolKind,
    PatrolState,
    PlanState,
    RatingWay,
    TeamDuty,
    VisitPlan,
)
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


# --- Team and errands ---------------------------------------------------------------------------


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@register
class CareRequestExporter(Importer):
    """Errands (帮办代办) as a spreadsheet: the list with its filters, export only; the
    person's name only (no number leaves with an errand)."""

    kind = "care-requests"
    model = CareRequest
    importable = False
    filterset_class = CareRequestFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Errands"),
            columns=[
                Column("编号", "id"),
                Column("服务对象", "person"),
                Column("网格编码", "grid_code"),
                Column("网格", "grid"),
                Column("事项类别", "kind"),
                Column("需求", "description"),
                Column("状态", "state"),
                Column("提出时间", "raised_at"),
                Column("提出人", "raised_by"),
                Column("帮办人", "helper"),
                Column("完成时间", "done_at"),
                Column("用时（分钟）", "minutes"),
                Column("办理情况", "done_note"),
                Column("评价（1-5）", "rating"),
                Column("评价内容", "rating_words"),
                Column("评价方式", "rating_way"),
                Column("评价记录人", "rated_by"),
                Column("取消原因", "cancel_reason"),
            ],
        )

    def export_queryset(self, actor):
        return (
            CareRequest.objects.restrict(actor, "view")
            .select_related("person", "grid", "kind", "raised_by", "assignee", "rated_by")
            .order_by("-raised_at", "-id")
        )

    def export_rows(self, queryset, actor):
        for errand in queryset.iterator(chunk_size=2000):
            yield {
                "id": errand.pk,
                "person": errand.person.name,
                "grid_code": errand.grid.code,
                "grid": errand.grid.name,
                "kind": errand.kind.name,
                "description": errand.description,
                "state": label_of(ErrandState, errand.state),
                "raised_at": _local(errand.raised_at),
                "raised_by": errand.raised_by.name if errand.raised_by_id else "",
                "helper": errand.assignee.name if errand.assignee_id else "",
                "done_at": _local(errand.done_at),
                "minutes": errand.minutes,
                "done_note": errand.done_note,
                "rating": errand.rating,
                "rating_words": errand.rating_words,
                "rating_way": label_of(RatingWay, errand.rating_way) if errand.rating_way else "",
                "rated_by": errand.rated_by.name if errand.rated_by_id else "",
                "cancel_reason": errand.cancel_reason,
            }


@register
class GridTeamExporter(Importer):
    """The grid teams as a spreadsheet: members, roles, places, numbers masked, buildings
    looked after, open errands and service hours (this month and the last twelve)."""

    kind = "grid-team"
    model = TeamDuty
    importable = False
    filterset_class = TeamFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Grid team"),
            columns=[
                Column("姓名", "name"),
                Column("角色", "role"),
                Column("所在编码", "place_code"),
                Column("所在网格/社区", "place"),
                Column("联系电话", "phone"),
                Column("联系楼栋", "buildings"),
                Column("待办帮办", "open"),
                Column("本月服务时长（小时）", "month_hours"),
                Column("近12个月服务时长（小时）", "year_hours"),
            ],
        )

    def export_queryset(self, actor):
        return team.team_memberships(actor).order_by("node__path", "role", "user__display_name")

    def export_rows(self, queryset, actor):
        from wangge.accounts.choices import Role

        members = list(queryset)
        facts = team.member_facts(actor, members)
        for membership in members:
            fact = facts[membership.pk]
            yield {
                "name": membership.user.name,
                "role": label_of(Role, membership.role),
                "place_code": membership.node.code,
                "place": membership.node.name,
                "phone": fact["phone"],
                "buildings": "、".join(fact["buildings"]),
                "open": fact["open"],
                "month_hours": team.hours(fact["month_minutes"]),
                "year_hours": team.hours(fact["year_minutes"]),
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
