"""Field work's console pages: the overview of its sections (网格工作), and the visit plans
(走访) of the caller's places with the rules that set them."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from wangge.core.imports import REGISTRY
from wangge.core.scope import get_scope
from wangge.fieldwork import plans, team
from wangge.fieldwork.filters import VisitPlanFilter
from wangge.fieldwork.models import (
    Campaign,
    CampaignState,
    CareRequest,
    Checkpoint,
    Dispute,
    DisputeState,
    ErrandState,
    Patrol,
    PatrolState,
    PlanState,
    VisitPlan,
)
from wangge.territory.pickers import place_filter_widget

PAGE_SIZE = 50
EXPORT_KIND = "visit-plans"
OPEN_CAMPAIGNS_SHOWN = 5
RECENT_DAYS = 7


def _counts(rows, **conditions: Q) -> dict[str, int]:
    """Several counts of ``rows`` in one query: ``{name: count of the rows matching}``."""
    return rows.aggregate(**{name: Count("pk", filter=q) for name, q in conditions.items()})


@login_required
def overview(request):
    """网格工作: what waits in each section of field work in my places — visits overdue and due,
    the open campaigns, errands waiting for a helper, disputes being mediated, patrols under
    way — each count a link to its list, filtered. Only the sections my role may open."""
    user = request.user
    scope = get_scope(user)
    day = plans.today()
    sections = {}
    if scope.has_perm("fieldwork.view_visitplan"):
        sections["visits"] = _counts(
            VisitPlan.objects.restrict(user, "view"),
            overdue=plans.state_q(PlanState.OVERDUE, day),
            due=plans.state_q(PlanState.DUE, day),
        )
    if scope.has_perm("fieldwork.view_campaign"):
        campaigns = Campaign.objects.restrict(user, "view")
        sections["campaigns"] = {
            **_counts(
                campaigns,
                open=Q(state=CampaignState.OPEN),
                draft=Q(state=CampaignState.DRAFT),
            ),
            "listed": list(
                campaigns.filter(state=CampaignState.OPEN)
                .select_related("node")
                .order_by("ends_on", "pk")[:OPEN_CAMPAIGNS_SHOWN]
            ),
        }
    if scope.has_perm("fieldwork.view_carerequest"):
        sections["errands"] = _counts(
            CareRequest.objects.restrict(user, "view"),
            open=Q(state=ErrandState.OPEN),
            assigned=Q(state=ErrandState.ASSIGNED),
            done=Q(state=ErrandState.DONE),
        )
    if scope.has_perm("fieldwork.view_dispute"):
        sections["disputes"] = _counts(
            Dispute.objects.restrict(user, "view"),
            taken_in=Q(state=DisputeState.INTAKE),
            mediating=Q(state=DisputeState.MEDIATING),
            settled=Q(state__in=[DisputeState.AGREED, DisputeState.ORAL]),
        )
    if scope.has_perm("fieldwork.view_patrol"):
        first_day = day - datetime.timedelta(days=RECENT_DAYS - 1)
        since = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time()))
        sections["patrols"] = {
            **_counts(
                Patrol.objects.restrict(user, "view"),
                underway=Q(state=PatrolState.UNDERWAY),
                planned=Q(state=PatrolState.PLANNED),
                recent=Q(state=PatrolState.FINISHED, ended_at__gte=since),
            ),
            "checkpoints": Checkpoint.objects.restrict(user, "view").filter(is_active=True).count(),
        }
    if team.may_see_team(user):
        sections["team"] = {"members": team.team_memberships(user).count()}
    if not sections:
        raise Http404
    context = {"sections": sections, "today": day, "recent_days": RECENT_DAYS}
    return render(request, "fieldwork/overview.html", context)


@login_required
def plan_list(request):
    """Who is due a visit in my places, soonest due first, with the list's filters; the counts
    of overdue and due above it, and the rules in force for the place picked."""
    user = request.user
    scope = get_scope(user)
    if not scope.has_perm("fieldwork.view_visitplan"):
        raise Http404
    day = plans.today()
    rows = VisitPlan.objects.restrict(user, "view").select_related(
        "person__grid", "person__household", "tag"
    )
    filterset = VisitPlanFilter(request.GET or None, rows, request=request)
    filterset.form.fields["grid"].widget = place_filter_widget(user)
    if filterset.is_bound:  # a bad value is shown on its field; the others still apply
        rows = filterset.qs
    rows = rows.order_by("due_on", "person_id")
    counts = {
        state: rows.filter(plans.state_q(state, day)).count()
        for state in (PlanState.OVERDUE, PlanState.DUE)
    }
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "rows": [(plan, plan.state_on(day)) for plan in page],
        "query": query.urlencode(),
        "today": day,
        "overdue": counts[PlanState.OVERDUE],
        "due": counts[PlanState.DUE],
        "export_kind": EXPORT_KIND if EXPORT_KIND in REGISTRY else "",
    }
    return render(request, "fieldwork/plans.html", context)
