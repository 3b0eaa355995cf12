"""The grid worker's visit to a household, on the phone (/m/households/<id>/visit/): the
day (today), how, what was said, the phone's position if the worker adds it, and the case it
was about, picked from the household's cases. The same form and service as the console's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect

from wangge.core.scope import get_scope
from wangge.people.models import Household
from wangge.people.registry_views import household_heads
from wangge.people.views import visit_form


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
