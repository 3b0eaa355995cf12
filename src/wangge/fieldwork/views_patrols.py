"""Patrols (巡查) in the console: the list with its filters, saved views, export and each
worker's time on patrol; a patrol with its trace on the map (gaps left as gaps), the
checkpoints passed and the cases found; planning a patrol for a window; the checkpoints of the
grids with their printable QR labels."""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ValidationError
from wangge.core.imports import REGISTRY
from wangge.core.scope import get_scope
from wangge.fieldwork import patrols
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.api_patrols import findings_of, scans_of
from wangge.fieldwork.filters import CheckpointFilter, PatrolFilter
from wangge.fieldwork.models import Checkpoint, Patrol, PatrolKind
from wangge.notices.wording import absolute
from wangge.territory import geo
from wangge.territory.models import Building, Node
from wangge.territory.pickers import place_filter_widget

PAGE_SIZE = 50
EXPORT_KIND = "patrols"
TOTALS_SHOWN = 60


def _seen(user):
    if not get_scope(user).has_perm("fieldwork.view_patrol"):
        raise Http404


@login_required
def patrol_list(request):
    """Patrols in my places, newest first, with the list's filters; below, each worker's
    time and distance on patrol by day over what the filters pick (this month by default)."""
    user = request.user
    _seen(user)
    rows = (
        Patrol.objects.restrict(user, "view")
        .select_related("grid__parent", "leader")
        .prefetch_related("members")
    )
    filterset = PatrolFilter(request.GET or None, rows, request=request)
    filterset.form.fields["grid"].widget = place_filter_widget(user)
    if filterset.is_bound:
        rows = filterset.qs
    rows = rows.order_by("-started_at", "-planned_start", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for patrol in page:
        patrol.place = patrols.place_name(patrol.grid)
    picked = rows
    if not (request.GET.get("since") or request.GET.get("until")):
        month = timezone.localdate().replace(day=1)
        start = timezone.make_aware(datetime.datetime.combine(month, datetime.time()))
        picked = rows.filter(started_at__gte=start)
    totals = patrols.worker_totals(picked, by="day")
    totals.sort(key=lambda t: (t.period, t.name), reverse=True)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "totals": totals[:TOTALS_SHOWN],
        "totals_cut": len(totals) > TOTALS_SHOWN,
        "daily_minutes": patrols.daily_minutes(),
        "may_plan": get_scope(user).has_perm("fieldwork.add_patrol"),
        "may_keep_checkpoints": get_scope(user).has_perm("fieldwork.add_checkpoint"),
        "export_kind": EXPORT_KIND if EXPORT_KIND in REGISTRY else "",
    }
    return render(request, "fieldwork/patrols_list.html", context)


@login_required
def patrol_detail(request, pk: int):
    user = request.user
    patrol = get_object_or_404(
        Patrol.objects.restrict(user, "view").select_related("grid__parent", "leader"), pk=pk
    )
    parts = patrols.segments(patrols.fixes_of(patrol))
    findings = findings_of(patrol)
    scans = scans_of(patrol)
    trace = patrols.trace_geojson(parts)
    trace["coordinates"] = [[_for_map(*spot) for spot in line] for line in trace["coordinates"]]
    config = {
        "trace": trace,
        "findings": [
            {
                "number": row["number"],
                "title": row["title"],
                "state": row["state_label"],
                "at": _for_map(row["lng"], row["lat"]),
                "url": reverse("case-console-detail", args=[row["case_id"]]),
            }
            for row in findings
            if row["lng"] is not None
        ],
        "scans": [
            {"name": row["checkpoint"], "at": _for_map(row["lng"], row["lat"])}
            for row in scans
            if row["lng"] is not None
        ],
        "tiles": _tiles(),
        "labels": {
            "start": _("Start"),
            "end": _("End"),
            "finding": _("Found on the patrol"),
            "checkpoint": _("Checkpoint"),
            "noTrace": _("No trace was sent on this patrol."),
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
        },
    }
    context = {
        "patrol": patrol,
        "place": patrols.place_name(patrol.grid),
        "members": list(patrol.members.order_by("display_name", "username")),
        "findings": findings,
        "scans": scans,
        "segments": len(parts),
        "gaps": max(len(parts) - 1, 0),
        "config": config,
        "minutes": round(patrol.duration_s / 60),
    }
    return render(request, "fieldwork/patrols_detail.html", context)


def _tiles() -> str:
    from django.conf import settings

    return settings.WANGGE_MAP_TILES


def _for_map(lng: float, lat: float) -> list[float]:
    """A WGS-84 position in the base map's system (GCJ-02 under AMap's tiles)."""
    from django.conf import settings

    x, y = geo.from_wgs84(lng, lat, settings.WANGGE_MAP_TILES_CRS)
    return [round(float(x), 6), round(float(y), 6)]


def _grounds(user, perm: str, kinds) -> list[Node]:
    nodes = (
        Node.objects.inside(user)
        .filter(is_active=True, kind__in=kinds)
        .select_related("parent")
        .defer("geometry", "parent__geometry")
        .order_by("path")[:500]
    )
    scope = get_scope(user)
    found = [node for node in nodes if scope.allows(perm, node.path)]
    for node in found:
        node.label = patrols.place_name(node)
    return found


def _moment(value: str | None):
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return "bad"
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
def patrol_plan(request):
    """Plan a patrol for a window: where, when, who leads and who walks with them."""
    user = request.user
    if not get_scope(user).has_perm("fieldwork.add_patrol"):
        raise Http404
    grounds = _grounds(user, "fieldwork.add_patrol", patrols.PATROL_GROUND)
    wanted = (request.POST.get("grid") or request.GET.get("grid") or "")[:32]
    chosen = next((n for n in grounds if wanted in (n.code, str(n.pk))), None) if wanted else None
    people = list(patrols.candidates(chosen)) if chosen else []
    errors: dict[str, list[str]] = {}
    key = (request.POST.get("key") or "").strip() or uuid.uuid4().hex
    if request.method == "POST" and request.POST.get("plan"):
        data = request.POST
        if chosen is None:
            errors["grid"] = [_("Choose the grid or community")]
        start, end = _moment(data.get("planned_start")), _moment(data.get("planned_end"))
        if start == "bad":
            errors["planned_start"] = [_("Give a date and time")]
        if end == "bad":
            errors["planned_end"] = [_("Give a date and time")]
        by_pk = {str(person.pk): person for person in people}
        leader = by_pk.get(data.get("leader") or "")
        if chosen is not None and leader is None:
            errors["leader"] = [_("Choose who leads the patrol")]
        if not errors:
            members = [by_pk[pk] for pk in data.getlist("members") if pk in by_pk]
            try:
                patrol = fieldwork.create_patrol(
                    actor=user,
                    grid=chosen,
                    kind=data.get("kind") or PatrolKind.ORDINARY,
                    leader=leader,
                    members=members,
                    planned_start=start,
                    planned_end=end,
                    start=False,
                    note=data.get("note") or "",
                    idempotency_key=f"plan-patrol:{key}",
                )
            except ValidationError as exc:
                for name, problems in exc.message_dict.items():
                    errors.setdefault(name, []).extend(problems)
            else:
                messages.success(request, _("Patrol planned."))
                return redirect("patrol-detail", patrol.pk)
    context = {
        "grounds": grounds,
        "chosen": chosen,
        "people": people,
        "kinds": PatrolKind.choices,
        "errors": errors,
        "values": request.POST if request.method == "POST" else {},
        "picked": set(request.POST.getlist("members")),
        "key": key,
    }
    status = 400 if errors else 200
    return render(request, "fieldwork/patrols_plan.html", context, status=status)


@login_required
def checkpoint_list(request):
    """The checkpoints of my grids, each with its printable QR label; offices and grid
    leaders add one (a gate, a building's door) or take one out of use."""
    user = request.user
    scope = get_scope(user)
    if not scope.has_perm("fieldwork.view_checkpoint"):
        raise Http404
    rows = Checkpoint.objects.restrict(user, "view").select_related("grid__parent", "building")
    filterset = CheckpointFilter(request.GET or None, rows, request=request)
    filterset.form.fields["grid"].widget = place_filter_widget(user)
    if filterset.is_bound:
        rows = filterset.qs
    may_add = scope.has_perm("fieldwork.add_checkpoint")
    grounds = (
        _grounds(user, "fieldwork.add_checkpoint", patrols.CHECKPOINT_GROUND) if may_add else []
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and may_add:
        data = request.POST
        grid = next((n for n in grounds if data.get("grid") in (n.code, str(n.pk))), None)
        building = None
        if data.get("building"):
            building = (
                Building.objects.restrict(user, "view").filter(pk=data["building"]).first()
                if str(data["building"]).isdigit()
                else None
            )
            if building is None:
                errors["building"] = [_("No such building here")]
        if grid is None:
            errors["grid"] = [_("Choose the grid")]
        if not errors:
            try:
                checkpoint = fieldwork.create_checkpoint(
                    actor=user, grid=grid, name=data.get("name") or "", building=building
                )
            except ValidationError as exc:
                for name, problems in exc.message_dict.items():
                    errors.setdefault(name, []).extend(problems)
            else:
                messages.success(
                    request, _("Checkpoint added: %(name)s") % {"name": checkpoint.name}
                )
                return redirect("checkpoint-list")
    page = Paginator(rows.order_by("grid__path", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for checkpoint in page:
        checkpoint.place = patrols.place_name(checkpoint.grid)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "may_add": may_add,
        "grounds": grounds,
        "errors": errors,
        "values": request.POST if request.method == "POST" else {},
    }
    return render(
        request, "fieldwork/patrols_checkpoints.html", context, status=400 if errors else 200
    )


@login_required
@require_POST
def checkpoint_retire(request, pk: int):
    checkpoint = get_object_or_404(
        Checkpoint.objects.restrict(request.user, "view").select_related("grid"), pk=pk
    )
    fieldwork.retire_checkpoint(actor=request.user, checkpoint=checkpoint)
    messages.success(
        request, _("Checkpoint taken out of use: %(name)s") % {"name": checkpoint.name}
    )
    return redirect("checkpoint-list")


@login_required
def checkpoint_label(request, pk: int):
    """The checkpoint's label to print (A4, or cut out): its name, its grid, the QR code a
    patrol scans and the code to type when the camera will not."""
    checkpoint = get_object_or_404(
        Checkpoint.objects.restrict(request.user, "view").select_related("grid__parent"), pk=pk
    )
    url = absolute(reverse("phone-checkpoint", args=[checkpoint.code]), request)
    context = {
        "checkpoint": checkpoint,
        "place": patrols.place_name(checkpoint.grid),
        "url": url,
    }
    return render(request, "fieldwork/patrols_label.html", context)
