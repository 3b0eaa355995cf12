"""Disputes on the phone (/m/disputes/): the mediator's or grid worker's disputes — open ones
of their places and those they mediate or took in — and one dispute's page, where a mediation
session or a follow-up visit (回访) is recorded with one thumb. The forms carry an idempotency
key: a form sent twice (a retry on a weak network) records once."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope
from wangge.fieldwork import disputes
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.forms_disputes import FollowUpForm, SessionForm
from wangge.fieldwork.models import OPEN_STATES, OUTCOME_STATES, DisputeState
from wangge.fieldwork.views_disputes import (
    dispute_mediators,
    party_choices,
    record_follow_up_from,
)

SHOWN = 100


@login_required
def dispute_list(request):
    user = request.user
    if not get_scope(user).has_perm("fieldwork.view_dispute"):
        raise Http404
    rows = disputes.mine(user).order_by("-received_at", "-id")
    count = rows.count()
    shown = [(dispute, disputes.dispute_data(dispute)) for dispute in rows[:SHOWN]]
    return render(
        request,
        "phone/disputes_list.html",
        {"rows": shown, "count": count, "cut": count > len(shown)},
    )


@login_required
def dispute_detail(request, pk: int):
    user = request.user
    dispute = get_object_or_404(disputes.visible(user), pk=pk)
    scope = get_scope(user)
    path = dispute.grid.path
    may_session = dispute.state in OPEN_STATES and scope.allows(
        "fieldwork.add_mediationsession", path
    )
    may_follow = (
        dispute.state in OUTCOME_STATES or dispute.state == DisputeState.CLOSED
    ) and scope.allows("fieldwork.add_followup", path)
    parties, mediators = party_choices(dispute), dispute_mediators(dispute)
    session_form = SessionForm(parties=parties, mediators=mediators) if may_session else None
    follow_up_form = FollowUpForm() if may_follow else None
    status = 200
    if request.method == "POST":
        status = 400
        which = request.POST.get("form")
        if which == "session" and may_session:
            session_form = SessionForm(request.POST, parties=parties, mediators=mediators)
            if _record_session(request, dispute, session_form):
                return redirect("phone-dispute", pk=dispute.pk)
        elif which == "follow_up" and may_follow:
            follow_up_form = FollowUpForm(request.POST)
            if record_follow_up_from(request, dispute, follow_up_form):
                return redirect("phone-dispute", pk=dispute.pk)
        else:
            raise Http404
    context = {
        "dispute": dispute,
        "data": disputes.dispute_detail(dispute),
        "session_form": session_form,
        "follow_up_form": follow_up_form,
    }
    return render(request, "phone/disputes_detail.html", context, status=status)


def _record_session(request, dispute, form) -> bool:
    from django.contrib import messages
    from django.utils.translation import gettext as _

    if not form.is_valid():
        return False
    data = form.cleaned_data
    parties = {str(p.pk): p for p in dispute.parties.all()}
    try:
        fieldwork.record_session(
            actor=request.user,
            dispute=dispute,
            held_on=data["held_on"],
            place=data["place"],
            record=data["record"],
            present=[parties[pk] for pk in data["present"] if pk in parties],
            mediators=list(dispute.mediators.filter(pk__in=[int(v) for v in data["mediators"]])),
            idempotency_key=f"phone:{data['key']}" if data.get("key") else None,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return False
    messages.success(request, _("The mediation session is recorded."))
    return True
