"""Pages for residents, without signing in: report from a grid's QR code, follow by tracking
code, rate; and the grid's QR poster staff print. They compose cases with notices (the grid's
newest notices, following a grid or a case by SMS), so they live here, above both."""

import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wangge.accounts.services import client_ip
from wangge.cases import public_text, services
from wangge.cases.choices import FINAL_STATES, Channel, State
from wangge.cases.forms import RatingForm, ResidentReportForm, TrackForm
from wangge.cases.machine import Refused
from wangge.cases.models import Case
from wangge.cases.public import RESIDENT_STATE
from wangge.core import ratelimit
from wangge.core.services import replay
from wangge.notices.forms import FollowForm
from wangge.notices.services import notices_for_grid
from wangge.notices.wording import absolute
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Node
from wangge.web import public

# Residents' reports, counted in windows of ten minutes. Only accepted reports count against
# the device (a long-lived signed cookie) and the address (neighbours behind one network, an
# office, share it: a higher limit); every attempt, refused ones too, counts against a flood
# ceiling of each, so a script still meets a 429 whether it keeps its cookie or not.
REPORT_WINDOW_MINUTES = 10
REPORTS_PER_DEVICE = 5
REPORTS_PER_ADDRESS = 30
ATTEMPTS_PER_DEVICE = 30
ATTEMPTS_PER_ADDRESS = 150
DEVICE_COOKIE = "wangge_device"
# The signing salt of the cookies residents already hold: another would make every device new.
DEVICE_SALT = "wangge.cases.public.device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
LOOKUPS_PER_MINUTE = 30
# The grid's page lists its newest notices.
NOTICES_SHOWN = 5


def _public_grid(code: str) -> Node:
    grid = public.grid_by_code(code)
    if grid is None:
        raise Http404
    return grid


def _device(request) -> tuple[str, bool]:
    """This browser's id from its signed cookie, or a new one; and whether it is new."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_SALT)
    if re.fullmatch(r"[0-9a-f]{32}", value or ""):
        return value, False
    return uuid.uuid4().hex, True


def _throttled(device: str, address: str) -> str:
    """Count this attempt; why the report may not be taken now ("" when it may)."""
    minutes = REPORT_WINDOW_MINUTES
    tries = [
        ratelimit.hit(f"report-try:d:{device}", limit=ATTEMPTS_PER_DEVICE, per_minutes=minutes),
        ratelimit.hit(f"report-try:a:{address}", limit=ATTEMPTS_PER_ADDRESS, per_minutes=minutes),
    ]
    if not all(tries):
        return _("Too many reports from here just now. Please try later.")
    if (
        ratelimit.seen(f"report:d:{device}", per_minutes=minutes) >= REPORTS_PER_DEVICE
        or ratelimit.seen(f"report:a:{address}", per_minutes=minutes) >= REPORTS_PER_ADDRESS
    ):
        return _(
            "You have sent several reports just now. Please wait a few minutes before sending "
            "this one; what you wrote is kept below."
        )
    return ""


def _accepted(device: str, address: str) -> None:
    minutes = REPORT_WINDOW_MINUTES
    ratelimit.hit(f"report:d:{device}", limit=REPORTS_PER_DEVICE, per_minutes=minutes)
    ratelimit.hit(f"report:a:{address}", limit=REPORTS_PER_ADDRESS, per_minutes=minutes)


@require_http_methods(["GET", "POST"])
def report(request, grid_code):
    """A grid's page from its QR code: tell the grid worker about a problem. A refused form
    comes back with everything typed and chosen; only accepted reports count against the
    device's and the address's limits."""
    grid = _public_grid(grid_code)
    device, new_device = _device(request)
    form = ResidentReportForm(request.POST or None)
    status = 200
    response = None
    key = (request.POST.get("key") or "")[:64]
    earlier = (
        replay(key=f"public:{key}", actor=None, operation="case.report", model=Case)
        if request.method == "POST" and key
        else None
    )
    if earlier is not None:
        # A second tap on "send", a retry: the first answer, counted once.
        response = redirect("case-track", code=earlier.tracking_code)
    elif request.method == "POST":
        address = client_ip(request) or "unknown"
        throttled = _throttled(device, address)
        if throttled:
            form.add_error(None, throttled)
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            point = data["lng"] is not None and data["lat"] is not None
            try:
                case = services.report(
                    actor=None,
                    channel=Channel.WEB,
                    category=data["category"],
                    description=data["description"],
                    address=data["address"],
                    grid=None if point else grid,
                    lng=data["lng"] if point else None,
                    lat=data["lat"] if point else None,
                    reporter_name=data["name"],
                    reporter_phone=data["phone"],
                    attributes=form.answers(),
                    public=False,
                    idempotency_key=f"public:{data['key']}",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            else:
                _accepted(device, address)
                messages.success(
                    request,
                    _("Thank you. Keep your tracking code: %(code)s")
                    % {"code": case.tracking_code},
                )
                response = redirect("case-track", code=case.tracking_code)
        else:
            status = 400
    if response is None:
        context = {
            "grid": grid,
            "form": form,
            "notices": list(notices_for_grid(grid)[:NOTICES_SHOWN]),
            "follow_form": FollowForm(),
        }
        response = render(request, "web/public_report.html", context, status=status)
    if new_device:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            device,
            salt=DEVICE_SALT,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@require_http_methods(["GET", "POST"])
def track(request, code=None):
    """Follow a case by its tracking code, and rate it once it is handled."""
    if code is None:
        form = TrackForm(request.GET or None)
        if form.is_valid():
            return redirect("case-track", code=form.cleaned_data["code"].strip().upper())
        return render(request, "web/public_track_form.html", {"form": form})
    if not ratelimit.hit(f"public-track:{client_ip(request)}", limit=LOOKUPS_PER_MINUTE):
        return render(
            request,
            "web/public_track_form.html",
            {"form": TrackForm(), "throttled": True},
            status=429,
        )
    case = get_object_or_404(public.cases_by_tracking_code(), tracking_code=code.upper())
    # Praise is thanked, not rated: it is no problem that was solved.
    can_rate = case.category.counts_as_problem and (
        case.state == State.VERIFIED or (case.state == State.CLOSED and not case.rating)
    )
    rating_form = RatingForm(request.POST or None) if can_rate else None
    if request.method == "POST" and rating_form is not None and rating_form.is_valid():
        try:
            services.rate_by_tracking_code(
                tracking_code=case.tracking_code,
                rating=rating_form.cleaned_data["rating"],
                comment=rating_form.cleaned_data["comment"],
            )
        except Refused:
            pass
        else:
            messages.success(request, _("Thank you for telling us."))
        return redirect(reverse("case-track", kwargs={"code": case.tracking_code}))
    # Only what was meant for the resident: each step they follow in plain words, and the
    # replies written for them; never a note (``public_text``).
    events = public_text.public_steps(case)
    return render(
        request,
        "web/public_track.html",
        {
            "case": case,
            "state_text": RESIDENT_STATE[State(case.state)],
            "events": events,
            "rating_form": rating_form,
            "follow_form": FollowForm() if case.state not in FINAL_STATES else None,
        },
    )


@login_required
def grid_poster(request, grid_code):
    """An A4 poster of a grid's report page, with its QR code, for the stairwell and the
    notice board (staff print it; the page itself needs no login)."""
    grid = get_object_or_404(
        Node.objects.restrict(request.user, "view").filter(kind__in=GRID_KINDS, is_active=True),
        code=grid_code,
    )
    url = absolute(reverse("case-report", kwargs={"grid_code": grid.code}), request)
    workers = public.grid_workers(grid)
    context = {"grid": grid, "url": url, "workers": workers}
    return render(request, "web/grid_poster.html", context)
