"""The grid worker's phone pages (/m/): my tasks, report a problem, my grid, act on a task.

Made for a phone in a stairwell: small pages, large controls, no library. A report is sent
with an idempotency key; the page's script keeps it in an outbox on the phone while there is
no network and sends it when the network returns, once (``static/js/field.js``). Without
script the report form posts as a plain form.
"""

from __future__ import annotations

import datetime
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Max, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.cases import machine, photos, public_text, services
from wangge.cases.choices import Channel, TaskState
from wangge.cases.machine import Refused
from wangge.cases.models import Case, Category, Task
from wangge.core.errors import ValidationError
from wangge.core.filters import NodeRefField, node_by_code_or_id
from wangge.core.scope import get_scope
from wangge.people.models import Household, Person
from wangge.territory.choices import COMMUNITY_KINDS, GRID_KINDS, NodeKind
from wangge.territory.models import Node

OPEN_TASKS = [TaskState.DISPATCHED, TaskState.SIGNED, TaskState.HANDLING]
FIELD_ACTIONS = ["sign", "start", "finish", "send_back", "escalate", "request_extension"]
SUGGESTED = 6  # categories offered first: those this worker used most lately


def _needs(request, perm: str) -> None:
    if not get_scope(request.user).has_perm(perm):
        raise Http404


@login_required
def tasks(request):
    """我的待办: the tasks given to me (or my team) that are not done, soonest due first."""
    user = request.user
    mine = (
        Task.objects.restrict(user, "view")
        .filter(Q(assignee=user) | Q(team__members=user), state__in=OPEN_TASKS)
        .select_related("case", "case__category", "case__grid")
        .distinct()
        .order_by("due_at", "pk")
    )
    reported = (
        Case.objects.restrict(user, "view")
        .filter(entered_by=user)
        .select_related("category")
        .order_by("-created_at")[:10]
    )
    now = timezone.now()
    return render(
        request,
        "field/tasks.html",
        {
            "tasks": mine,
            "reported": reported,
            "now": now,
            "can_report": _may_report(user),
            "can_record_found": get_scope(user).has_perm("cases.add_founditem"),
        },
    )


def _may_report(user) -> bool:
    return get_scope(user).has_perm("cases.add_case")


def _task_for(request, pk: int) -> Task:
    return get_object_or_404(
        Task.objects.restrict(request.user, "view").select_related(
            "case", "case__category", "case__grid", "assignee", "team"
        ),
        pk=pk,
    )


@login_required
def task(request, pk: int):
    task = _task_for(request, pk)
    case = task.case
    mine = services._my_task(case, request.user)
    allowed = set(machine.available(case, request.user, task=mine))
    moves = [
        {
            "action": action,
            "label": machine.MOVES[action].label,
            "note": machine.MOVES[action].needs_note,
        }
        for action in FIELD_ACTIONS
        if action in allowed
    ]
    context = {
        "task": task,
        "case": case,
        "moves": moves,
        # Staff read both texts of a step, each named (the note is internal).
        "events": case.events.order_by("-at", "-pk")[:5],
        "photos": case.photos.order_by("pk"),
        "key": uuid.uuid4().hex,
        "max_reply": public_text.MAX_REPLY,
    }
    return render(request, "field/task.html", context)


@login_required
@require_POST
def task_act(request, pk: int, action: str):
    task = _task_for(request, pk)
    if action not in FIELD_ACTIONS:
        raise Http404
    case = task.case
    note = (request.POST.get("note") or "").strip()
    reply = public_text.reply_from_form(request.POST)
    upload = request.FILES.get("photo")
    try:
        move = machine.check(case, action, request.user, task=services._my_task(case, request.user))
        if move.needs_note and not note:
            raise ValidationError({"note": _("Write what was done or why.")})
        # The photo is checked before the move: a finish with a file that is not a photo (or
        # too large) must change nothing, not finish the case and then lose the photo.
        if upload is not None:
            upload = photos.prepare_photo(upload)
        extra = {}
        if action == "request_extension":
            extra = {"amount": 2, "unit": "working_days"}
        case = services.act(
            actor=request.user, case=case, action=action, note=note, reply=reply, **extra
        )
        if upload is not None:
            photos.add_photo(
                actor=request.user,
                case=case,
                upload=upload,
                public=True,
                event=case.events.filter(action=action).order_by("-pk").first(),
                idempotency_key=(request.POST.get("key") or None),
            )
    except Refused as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("%(action)s: done.") % {"action": move.label})
        if action in ("finish", "send_back", "escalate"):
            return redirect("field-tasks")
    return redirect("field-task", pk=task.pk)


def _categories(user):
    """The current tree's leaves, the ones this worker used most in 90 days first."""
    leaves = list(
        Category.objects.filter(tree__is_current=True, is_active=True, children__isnull=True)
        .select_related("parent")
        .order_by("parent__sort", "sort")
    )
    since = timezone.now() - datetime.timedelta(days=90)
    used = dict(
        Case.objects.restrict(user, "view")
        .filter(entered_by=user, created_at__gte=since)
        .values_list("category__code")
        .annotate(n=Count("pk"))
    )
    suggested = sorted((c for c in leaves if used.get(c.code)), key=lambda c: -used[c.code])[
        :SUGGESTED
    ]
    return leaves, suggested


@login_required
def report(request):
    """Report a problem found on patrol: category, words, a photo, the phone's position."""
    user = request.user
    if not _may_report(user):
        raise Http404
    grids = list(
        Node.objects.restrict(user, "view")
        .filter(kind__in=GRID_KINDS, is_active=True)
        .order_by("path")[:200]
    )
    leaves, suggested = _categories(user)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = request.POST
        key = (data.get("key") or "").strip() or None
        category = next((c for c in leaves if str(c.pk) == data.get("category")), None)
        grid = next((g for g in grids if str(g.pk) == data.get("grid")), None)
        lng, lat = _number(data.get("lng")), _number(data.get("lat"))
        if category is None:
            errors["category"] = [_("Choose what kind of problem it is.")]
        if lng is None and grid is None:
            errors["grid"] = [_("Add the position or choose the grid.")]
        if not errors:
            try:
                # The photo is checked before the case is written: a bad photo must leave no
                # case behind (the page then offers a new key, so a retry would make a second).
                upload = request.FILES.get("photo")
                if upload is not None:
                    upload = photos.prepare_photo(upload)
                case = services.report(
                    actor=user,
                    channel=Channel.PATROL,
                    category=category,
                    description=data.get("description") or "",
                    grid=None if lng is not None else grid,
                    lng=lng,
                    lat=lat if lng is not None else None,
                    address=data.get("address") or "",
                    idempotency_key=f"field:{key}" if key else None,
                )
                if upload is not None:
                    photos.add_photo(
                        actor=user,
                        case=case,
                        upload=upload,
                        public=False,
                        idempotency_key=f"field-photo:{key}" if key else None,
                    )
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            else:
                if wants_json:
                    return JsonResponse({"number": case.number, "id": case.pk}, status=201)
                messages.success(request, _("Case %(number)s is in.") % {"number": case.number})
                return redirect("field-tasks")
        if wants_json:
            return JsonResponse({"errors": errors}, status=400)
    context = {
        "grids": grids,
        "categories": leaves,
        "suggested": suggested,
        "errors": errors,
        "values": request.POST if request.method == "POST" else {},
        "key": uuid.uuid4().hex,
    }
    return render(request, "field/report.html", context, status=400 if errors else 200)


def _number(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


# Above this many grids the choice starts from the communities (a district has hundreds).
GRIDS_LISTED = 40
FOUND_MAX = 50
SEARCH_MAX = 50
BASIC_GRIDS = [NodeKind.GRID, NodeKind.DEDICATED_GRID]


@login_required
def grid(request):
    """My grid: the households with people needing care, and those not visited lately.

    Whoever works on more than one grid (a grid leader, a community, a street, the district)
    first picks the grid — a light list of their communities and grids, searchable by name —
    and the choice stays in the URL (``?grid=<code>``); the page then shows that one grid."""
    user = request.user
    _needs(request, "people.view_household")
    places = Node.objects.inside(user).filter(is_active=True).defer("geometry")
    grids = places.filter(kind__in=BASIC_GRIDS)
    errors = {}
    try:
        wanted = NodeRefField(required=False).clean(request.GET.get("grid"))
    except DjangoValidationError as exc:
        errors["grid"], wanted = exc.messages, ""
    query = (request.GET.get("q") or "").strip()
    if len(query) > SEARCH_MAX:
        errors["q"] = [_("At most %(n)s characters.") % {"n": SEARCH_MAX}]
    if errors:
        return _choose_grid(request, places, grids, within=None, query="", errors=errors)
    chosen = None
    if wanted:
        chosen = node_by_code_or_id(places, wanted)
        if chosen is None:
            raise Http404
    mine = list(grids[:2])
    if chosen is None and not query and len(mine) == 1:
        chosen = mine[0]
    if chosen is not None and chosen.kind in GRID_KINDS:
        return _one_grid(request, chosen, several=len(mine) > 1)
    return _choose_grid(request, places, grids, within=chosen, query=query)


def _choose_grid(request, places, grids, *, within, query, errors=None):
    """Which grid: the grids found by name, or those of one place, or (when there are many)
    the communities to narrow down to."""
    if within is not None:
        grids = grids.filter(path__startswith=within.path)
    communities = []
    if query:
        words = Q(name__icontains=query) | Q(parent__name__icontains=query)
        shown = list(grids.filter(words | Q(code__startswith=query)).order_by("code")[:FOUND_MAX])
    else:
        shown = list(grids.order_by("code")[: GRIDS_LISTED + 1])
        if len(shown) > GRIDS_LISTED:
            shown = []
            inner = places.filter(kind__in=COMMUNITY_KINDS)
            if within is not None:
                inner = inner.filter(path__startswith=within.path)
            counts = dict(
                grids.order_by()
                .values_list("parent_id")
                .annotate(n=Count("pk"))
                .values_list("parent_id", "n")
            )
            communities = [
                {"code": code, "name": name, "street": street, "grids": counts.get(pk, 0)}
                for pk, code, name, street in inner.order_by("code").values_list(
                    "pk", "code", "name", "parent__name"
                )
            ]
    above = dict(places.filter(pk__in={grid.parent_id for grid in shown}).values_list("pk", "name"))
    groups: dict[str, list] = {}
    for grid in shown:
        groups.setdefault(above.get(grid.parent_id, ""), []).append(grid)
    context = {
        "within": within,
        "query": query,
        "groups": list(groups.items()),
        "communities": communities,
        "found_max": FOUND_MAX,
        "found": len(shown),
        "errors": errors or {},
        "search_max": SEARCH_MAX,
    }
    return render(request, "field/grid_choose.html", context, status=400 if errors else 200)


def _one_grid(request, grid, *, several: bool):
    user = request.user
    days = settings.WANGGE_VISIT_WINDOW_DAYS
    since = timezone.now() - datetime.timedelta(days=days)
    households = (
        Household.objects.restrict(user, "view")
        .filter(grid__path__startswith=grid.path)
        .annotate(last_visit=Max("visits__visited_at"))
        .select_related("dwelling", "dwelling__building", "grid")
        .order_by("grid__path", "dwelling__building__address", "number")
    )
    care = {}
    if get_scope(user).has_perm("people.view_care_persontag"):
        for person in (
            Person.objects.restrict(user, "view")
            .filter(grid__path__startswith=grid.path, status="active", care_tags__isnull=False)
            .prefetch_related("care_tags")
            .distinct()
        ):
            care.setdefault(person.household_id, set()).update(
                t.name for t in person.care_tags.all()
            )
    due = [h for h in households if h.last_visit is None or h.last_visit < since]
    cared = [(h, sorted(care[h.pk])) for h in households if h.pk in care]
    above = (
        Node.objects.restrict(user, "view")
        .filter(pk=grid.parent_id, kind__in=COMMUNITY_KINDS)
        .values_list("name", flat=True)
        .first()
    )
    context = {
        "grid": grid,
        "community": above or "",
        "several": several,
        "due": due[:100],
        "due_count": len(due),
        "cared": cared,
        "days": days,
    }
    return render(request, "field/grid.html", context)


def manifest(request):
    """The web app manifest: the phone pages install as an app (a PWA)."""
    data = {
        "name": _("Wangge · grid worker"),
        "short_name": _("Wangge"),
        "lang": "zh-CN",
        "start_url": reverse("field-tasks"),
        "scope": reverse("field-tasks"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b3261e",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )


def service_worker(request):
    """The service worker, served under /m/ so that it may control the phone pages."""
    path = finders.find("js/field-sw.js")
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    shell = [
        reverse("field-tasks"),
        reverse("field-report"),
        static("css/wangge.css"),
        static("css/field.css"),
        static("js/wangge.js"),
        static("js/field.js"),
        static("img/logo.svg"),
    ]
    body = body.replace("__SHELL__", json.dumps(shell))
    response = HttpResponse(body, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
