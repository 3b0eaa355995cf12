"""Errands (帮办代办) on the helper's phone: ``/m/errands/`` (mine: those given to me, the
ones not yet done first; a grid worker also sees the open ones of their grids), and
``/m/errands/<id>/`` (the person — named as my role allows — and the address, then: I will
do it, record it done with the minutes, a note and a photo, record the person's rating). Each
form carries its own key, so a form sent twice on a weak network counts once."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope
from wangge.fieldwork import errands as shown
from wangge.fieldwork import team
from wangge.fieldwork.models import CareRequest, ErrandState, RatingWay
from wangge.fieldwork.views_errands import act, errand_steps, helper_choices, moves_for

SHOWN = 100


def _errands(user):
    return CareRequest.objects.restrict(user, "view").select_related(
        "person__household__dwelling__building", "grid__parent", "kind", "assignee"
    )


@login_required
def mine(request):
    user = request.user
    if not get_scope(user).has_perm("fieldwork.view_carerequest"):
        raise Http404
    rows = _errands(user).filter(
        Q(assignee=user) | Q(state=ErrandState.OPEN), ~Q(state=ErrandState.CANCELLED)
    )
    rows = rows.annotate(
        order=Case(
            When(state=ErrandState.ASSIGNED, then=Value(0)),
            When(state=ErrandState.OPEN, then=Value(1)),
            When(state=ErrandState.DONE, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by("order", "-raised_at", "-id")
    count = rows.count()
    mine_minutes = team.minutes_by_helper(_errands(user).filter(assignee=user)).get(user.pk, {})
    this_month = team.local_month(timezone.now())
    return render(
        request,
        "phone/errands_mine.html",
        {
            "rows": [
                (errand, shown.person_name(errand, user), shown.address(errand))
                for errand in rows[:SHOWN]
            ],
            "count": count,
            "cut": count > SHOWN,
            "hours": team.hours(mine_minutes.get(this_month, 0)),
        },
    )


def _page(request, errand, failed=None, status=200):
    user = request.user
    return render(
        request,
        "phone/errands_detail.html",
        {
            "errand": errand,
            "person_name": shown.person_name(errand, user),
            "address": shown.address(errand),
            "steps": errand_steps(errand),
            "moves": moves_for(user, errand) - {"cancel"},
            "helpers": helper_choices(user, errand.grid),
            "ways": RatingWay.choices,
            "failed": failed or {},
            "key": uuid.uuid4().hex,
            "phone": True,
        },
        status=status,
    )


@login_required
def detail(request, pk: int):
    errand = get_object_or_404(_errands(request.user), pk=pk)
    return _page(request, errand)


@login_required
@require_POST
def move(request, pk: int, action: str):
    if action not in {"accept", "done", "rate", "assign"}:
        raise Http404
    errand = get_object_or_404(_errands(request.user), pk=pk)
    try:
        act(request, errand, action)
    except ValidationError as error:
        failed = {
            "action": action,
            "errors": {k: " ".join(v) for k, v in error.message_dict.items()},
            "given": request.POST,
        }
        return _page(request, errand, failed, status=400)
    messages.success(request, _("Saved."))
    return redirect("phone-errand", pk)
