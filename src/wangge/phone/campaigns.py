"""Inspection campaigns (排查) on the phone: the checks to do in my grids (/m/campaigns/: my
open campaigns, their buildings not yet checked first), and a building's check
(/m/campaigns/<id>/check/<building>/: the checklist answered with one thumb, a note, photos,
sent once however often the button is pressed — the form's idempotency key). A hazard answered
opens its case at once; the page says which."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope
from wangge.fieldwork import campaigns as logic
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.forms_campaigns import CheckForm
from wangge.fieldwork.models import Campaign, CampaignState, Check
from wangge.territory.models import Building

SHOWN = 200  # buildings listed per campaign


@login_required
def campaigns(request):
    """My open campaigns, each with its buildings in my grids: not yet checked first."""
    user = request.user
    if not get_scope(user).has_perm("fieldwork.add_check"):
        raise Http404
    rows = []
    for campaign in (
        Campaign.objects.restrict(user, "view")
        .filter(state=CampaignState.OPEN)
        .select_related("node")
        .order_by("ends_on", "pk")
    ):
        cover = logic.coverage(campaign, user)
        order = {logic.NOT_YET: 0, logic.HAZARD: 1, logic.CHECKED: 2}
        buildings = sorted(
            cover.buildings, key=lambda b: (order[b["status"]], b["grid_name"], b["name"])
        )
        rows.append(
            {
                "campaign": campaign,
                "total": cover.total,
                "buildings": buildings[:SHOWN],
                "cut": len(buildings) > SHOWN,
            }
        )
    return render(request, "phone/campaigns_list.html", {"rows": rows})


@login_required
def check(request, pk: int, building: int):
    """Check a building of my grid against the campaign's checklist."""
    user = request.user
    if not get_scope(user).has_perm("fieldwork.add_check"):
        raise Http404
    campaign = get_object_or_404(
        Campaign.objects.restrict(user, "view").select_related("node", "checklist__form"), pk=pk
    )
    place = get_object_or_404(
        Building.objects.restrict(user, "view")
        .filter(grid__path__startswith=campaign.node.path)
        .select_related("grid"),
        pk=building,
    )
    form = CheckForm(request.POST or None, request.FILES or None, form=campaign.checklist.form)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = fieldwork.record_check(
                    actor=user,
                    campaign=campaign,
                    building=place,
                    answers=form.answers(),
                    note=form.cleaned_data["note"],
                    photos=form.cleaned_data["photos"],
                    idempotency_key=f"phone:{form.cleaned_data['key']}",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            else:
                numbers = [case.number for case in done.cases.all()]
                name = f"{place.compound}{place.name}"
                if numbers:
                    messages.warning(
                        request,
                        _("%(building)s checked: hazard reported, case %(numbers)s opened.")
                        % {"building": name, "numbers": "、".join(numbers)},
                    )
                else:
                    messages.success(
                        request, _("%(building)s checked: no hazard.") % {"building": name}
                    )
                return redirect("phone-campaigns")
        else:
            status = 400
    else:
        form.initial["key"] = uuid.uuid4().hex
    earlier = (
        Check.objects.restrict(user, "view")
        .filter(campaign=campaign, building=place)
        .select_related("checked_by")
        .order_by("-checked_at")
    )
    return render(
        request,
        "phone/campaigns_check.html",
        {"campaign": campaign, "building": place, "form": form, "earlier": earlier[:5]},
        status=status,
    )
