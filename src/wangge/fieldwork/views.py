"""Field work's console pages: the visit plans (走访) of the caller's places, and the rules
that set them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from wangge.core.imports import REGISTRY
from wangge.core.scope import get_scope
from wangge.fieldwork import plans
from wangge.fieldwork.filters import VisitPlanFilter
from wangge.fieldwork.models import PlanState, VisitPlan
from wangge.territory.pickers import place_filter_widget

PAGE_SIZE = 50
EXPORT_KIND = "visit-plans"


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
