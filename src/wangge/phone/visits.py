"""Visits on the phone: whom I am to visit now (/m/visits/: the visit plans due or overdue in
my places, the most overdue first), and the visit to a household (/m/households/<id>/visit/):
the day (today), how, what was said, the phone's position if the worker adds it, and the case
it was about, picked from the household's cases. The same form and service as the console's;
a visit recorded moves the plans of the household's people at once."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from wangge.core.filters import node_by_code_or_id
from wangge.core.scope import get_scope
from wangge.fieldwork import plans
from wangge.fieldwork.models import VisitPlan
from wangge.people.models import Household
from wangge.people.registry_views import household_heads
from wangge.people.views import visit_form
from wangge.territory.models import Node

DUE_SHOWN = 200


@login_required
def due(request):
    """走访: the people due a visit in my places today (``?grid=``: in one place of mine),
    overdue first; a long list is cut at ``DUE_SHOWN`` and says so."""
    user = request.user
    if not get_scope(user).has_perm("fieldwork.view_visitplan"):
        raise Http404
    day = plans.today()
    due_now = (
        VisitPlan.objects.restrict(user, "view")
        .filter(plans.due_q(day))
        .select_related("person__grid", "person__household", "tag")
        .order_by("overdue_on", "due_on", "person_id")
    )
    place = None
    if request.GET.get("grid"):
        nodes = Node.objects.restrict(user, "view")
        place = node_by_code_or_id(nodes, request.GET["grid"][:32])
        due_now = (
            due_now.filter(person__grid__path__startswith=place.path) if place else due_now.none()
        )
    count = due_now.count()
    rows = [(plan, plan.state_on(day)) for plan in due_now[:DUE_SHOWN]]
    return render(
        request,
        "phone/visits_due.html",
        {"rows": rows, "count": count, "cut": count > len(rows), "today": day, "place": place},
    )


@login_required
def visit(request, pk: int):
    """Record a visit to a household of my grid (elsewhere: a 404)."""
    user = request.user
    if not get_scope(user).has_perm("people.add_visit"):
        raise Http404
    household = get_object_or_404(
        Household.objects.restrict(user, "view").select_related(
            "grid", "dwelling__building", "dwelling__unit"
        ),
        pk=pk,
    )
    head = household_heads(user, [household]).get(household.pk)
    return visit_form(
        request,
        household,
        template="phone/visit.html",
        done=lambda _visit: redirect("phone-grid"),
        context={"head": head},
    )
