"""Patrols on the phone (巡查), with one thumb and one bar of signal.

``/m/patrols/``: start a patrol in my grid now, with the people walking with me picked by
name, or start a planned one; the patrols I walk. ``/m/patrols/<id>/``: the patrol underway —
time, distance and fixes so far, "record a finding" (the report form, the patrol's position
filled in, channel patrol, solved on the spot or handed on), a checkpoint's code, "finish".
The page's script (``static/js/patrol.js``) follows the phone's position and sends it in
batches, each with its own key; with no network the batches and the findings wait on the
phone (the findings in ``phone.js``'s outbox) and are sent once when the network returns.
``/m/checkpoints/<code>/``: what a checkpoint's QR code opens: the scan recorded on my patrol
underway there."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.cases import photos
from wangge.cases.choices import State
from wangge.cases.machine import Refused
from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope
from wangge.fieldwork import patrols
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.models import Checkpoint, Patrol, PatrolKind, PatrolState
from wangge.fieldwork.services.patrols import checkpoint_for, last_position
from wangge.phone.views import REPORT_FIELDS, _categories, _number, _photo_note
from wangge.territory.models import Node

GRIDS_OFFERED = 40
FINDING_FIELDS = {"category", "description", "photo", "lng", "address", "result"}


def _mine(user):
    """The patrols I may see, and of them those I walk."""
    return Patrol.objects.restrict(user, "view").select_related("grid__parent", "leader")


def _walked_by(user):
    return _mine(user).filter(members=user).distinct()


def _may_start(user) -> bool:
    return get_scope(user).has_perm("fieldwork.add_patrol")


@login_required
def patrols_page(request):
    """My patrols underway and planned, and the form to start one now."""
    user = request.user
    may_start = _may_start(user)
    walked = _walked_by(user)
    if not may_start and not get_scope(user).has_perm("cases.add_case"):
        raise Http404
    grounds = list(
        Node.objects.inside(user)
        .filter(is_active=True, kind__in=patrols.PATROL_GROUND)
        .select_related("parent")
        .defer("geometry", "parent__geometry")
        .order_by("path")[:GRIDS_OFFERED]
    )
    grounds = [
        node for node in grounds if get_scope(user).allows("fieldwork.add_patrol", node.path)
    ]
    chosen = None
    wanted = (request.POST.get("grid") or request.GET.get("grid") or "")[:32]
    if wanted:
        chosen = next((node for node in grounds if wanted in (node.code, str(node.pk))), None)
        if chosen is None:
            raise Http404
    elif grounds:
        chosen = next((node for node in grounds if node.kind != "community"), grounds[0])
    people = list(patrols.candidates(chosen).exclude(pk=user.pk)) if chosen else []
    errors: dict[str, list[str]] = {}
    key = (request.POST.get("key") or "").strip() or uuid.uuid4().hex
    if request.method == "POST" and may_start:
        if chosen is None:
            errors["grid"] = [_("Choose the grid")]
        else:
            picked = set(request.POST.getlist("members"))
            members = [person for person in people if str(person.pk) in picked]
            try:
                patrol = fieldwork.create_patrol(
                    actor=user,
                    grid=chosen,
                    kind=request.POST.get("kind") or PatrolKind.ORDINARY,
                    members=members,
                    note=request.POST.get("note") or "",
                    idempotency_key=f"phone-patrol:{key}",
                )
            except ValidationError as exc:
                for name, problems in exc.message_dict.items():
                    errors.setdefault(name, []).extend(problems)
            else:
                return redirect("phone-patrol", patrol.pk)
    underway = list(walked.filter(state=PatrolState.UNDERWAY).order_by("-started_at")[:10])
    planned = list(walked.filter(state=PatrolState.PLANNED).order_by("planned_start")[:10])
    done = list(walked.filter(state=PatrolState.FINISHED).order_by("-started_at")[:5])
    for patrol in [*underway, *planned, *done]:
        patrol.place = patrols.place_name(patrol.grid)
    for node in grounds:
        node.label = patrols.place_name(node)
    context = {
        "may_start": may_start,
        "grounds": grounds,
        "chosen": chosen,
        "people": people,
        "picked": set(request.POST.getlist("members")),
        "kinds": PatrolKind.choices,
        "underway": underway,
        "planned": planned,
        "done": done,
        "errors": errors,
        "values": request.POST if request.method == "POST" else {},
        "key": key,
        "daily_minutes": patrols.daily_minutes(),
    }
    return render(request, "phone/patrols_start.html", context, status=400 if errors else 200)


def _patrol(request, pk: int) -> Patrol:
    return get_object_or_404(_mine(request.user), pk=pk)


def _running(request, patrol: Patrol, *, errors=None, values=None, status=200, open_=""):
    user = request.user
    leaves, suggested = _categories(user)
    errors = errors or {}
    findings = list(patrol.findings.select_related("case").order_by("pk"))
    scans = list(patrol.scans.select_related("checkpoint").order_by("scanned_at"))
    last = last_position(patrol)
    context = {
        "patrol": patrol,
        "place": patrols.place_name(patrol.grid),
        "members": list(patrol.members.order_by("display_name", "username")),
        "findings": findings,
        "scans": scans,
        "categories": leaves,
        "suggested": suggested,
        "errors": errors,
        "other_errors": [
            problem
            for name, problems in errors.items()
            if name not in FINDING_FIELDS
            for problem in problems
        ],
        "values": values or {},
        "key": (values or {}).get("key") or uuid.uuid4().hex,
        "open": open_ or ("finding" if errors else ""),
        "photo_types": ",".join(photos.ACCEPTED_TYPES),
        "photo_max": photos.max_bytes(),
        "photo_max_text": photos.size_text(photos.max_bytes()),
        "grid_value": patrol.grid_id if patrol.grid.kind in patrols.CHECKPOINT_GROUND else "",
        "last": last,
        "gap_seconds": patrols.gap_seconds(),
        "max_batch": patrols.MAX_BATCH,
        "underway": patrol.state == PatrolState.UNDERWAY,
        "now": timezone.now(),
    }
    return render(request, "phone/patrols_running.html", context, status=status)


@login_required
def patrol_page(request, pk: int):
    return _running(request, _patrol(request, pk))


@login_required
@require_POST
def patrol_start(request, pk: int):
    patrol = _patrol(request, pk)
    try:
        fieldwork.start_patrol(actor=request.user, patrol=patrol)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("phone-patrol", patrol.pk)


@login_required
@require_POST
def patrol_finding(request, pk: int):
    """A finding of the patrol: the report form's fields, answered as the report page
    answers (JSON to the outbox, or the page again with what was typed)."""
    user = request.user
    patrol = _patrol(request, pk)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    data = request.POST
    key = (data.get("key") or "").strip() or uuid.uuid4().hex
    leaves, _suggested = _categories(user)
    category = next((c for c in leaves if str(c.pk) == data.get("category")), None)
    lng, lat = _number(data.get("lng")), _number(data.get("lat"))
    solved = data.get("solve_now") == "on"
    result = (data.get("result") or "").strip()
    errors: dict[str, list[str]] = {}
    if category is None:
        errors["category"] = [_("Choose what kind of problem it is.")]
    if solved and not result:
        errors["result"] = [_("Write what was done on the spot.")]
    if not errors:
        try:
            upload = request.FILES.get("photo")
            if upload is not None:
                upload = photos.prepare_photo(upload)
            finding = fieldwork.record_finding(
                actor=user,
                patrol=patrol,
                category=category,
                description=data.get("description") or "",
                lng=lng,
                lat=lat if lng is not None else None,
                address=data.get("address") or "",
                solved_note=result if solved else "",
                idempotency_key=f"patrol-finding:{key}",
            )
            if upload is not None:
                photos.add_photo(
                    actor=user,
                    case=finding.case,
                    upload=upload,
                    public=False,
                    idempotency_key=f"patrol-photo:{key}",
                )
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            for name, problems in found.items():
                errors.setdefault(REPORT_FIELDS.get(name, name), []).extend(problems)
        except Refused as exc:
            errors["solve_now"] = [str(exc)]
        else:
            case = finding.case
            if wants_json:
                return JsonResponse(
                    {"number": case.number, "id": case.pk, "state": case.state}, status=201
                )
            if case.state == State.CLOSED:
                text = _("Case %(number)s is in, solved on the spot and closed.")
            else:
                text = _("Case %(number)s is in.")
            messages.success(request, text % {"number": case.number})
            return redirect("phone-patrol", patrol.pk)
    if wants_json:
        return JsonResponse({"errors": errors}, status=400)
    if request.FILES.get("photo"):
        errors.setdefault("photo", []).append(_photo_note(None))
    return _running(request, patrol, errors=errors, values=data, status=400)


@login_required
@require_POST
def patrol_scan(request, pk: int):
    """A checkpoint's code typed (or opened from its QR code) on the patrol."""
    patrol = _patrol(request, pk)
    checkpoint = checkpoint_for(patrol, request.POST.get("code") or "")
    errors: dict[str, list[str]] = {}
    if checkpoint is None:
        errors["code"] = [_("No checkpoint with this code on this patrol")]
    else:
        try:
            fieldwork.scan_checkpoint(
                actor=request.user,
                patrol=patrol,
                checkpoint=checkpoint,
                lng=_number(request.POST.get("lng")),
                lat=_number(request.POST.get("lat")),
            )
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                errors.setdefault(name if name in ("code", "lng") else "code", []).extend(problems)
        else:
            messages.success(request, _("Checkpoint passed: %(name)s") % {"name": checkpoint.name})
            return redirect("phone-patrol", patrol.pk)
    return _running(
        request,
        patrol,
        errors=errors,
        values={"code": request.POST.get("code", "")},
        status=400,
        open_="scan",
    )


@login_required
@require_POST
def patrol_finish(request, pk: int):
    patrol = _patrol(request, pk)
    try:
        patrol = fieldwork.finish_patrol(actor=request.user, patrol=patrol)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        minutes = round(patrol.duration_s / 60)
        messages.success(
            request,
            _("Patrol finished: %(minutes)s minutes, %(metres)s m.")
            % {"minutes": minutes, "metres": patrol.distance_m},
        )
    return redirect("phone-patrol", patrol.pk)


@login_required
def checkpoint_page(request, code: str):
    """What a checkpoint's QR code opens: the patrols I walk underway on its ground, each
    with a button to record the scan (a page opened records nothing by itself)."""
    user = request.user
    code = code[:16]
    underway = list(
        _walked_by(user).filter(state=PatrolState.UNDERWAY).order_by("-started_at")[:10]
    )
    found = [(patrol, checkpoint_for(patrol, code)) for patrol in underway]
    found = [(patrol, point) for patrol, point in found if point is not None]
    checkpoint = found[0][1] if found else None
    if checkpoint is None:
        checkpoint = get_object_or_404(
            Checkpoint.objects.restrict(user, "view").select_related("grid__parent"),
            code=code.upper(),
        )
    return render(
        request,
        "phone/patrols_checkpoint.html",
        {
            "checkpoint": checkpoint,
            "place": patrols.place_name(checkpoint.grid),
            "patrols": [patrol for patrol, _point in found],
        },
    )
