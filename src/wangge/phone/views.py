"""The grid worker's phone pages (/m/): my tasks, report a problem, my grid, act on a task.

Made for a phone in a stairwell: small pages, large controls, no library. A report is sent
with an idempotency key; the page's script keeps it in an outbox on the phone while there is
no network and sends it when the network returns, once (``static/js/phone.js``). Without
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
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.cases import machine, photos, public_text, services
from wangge.cases.choices import Channel, State, TaskState
from wangge.cases.forms import RevealForm
from wangge.cases.machine import Refused
from wangge.cases.models import Agency, Case, Category, Task
from wangge.core.errors import ValidationError
from wangge.core.filters import NodeRefField, node_by_code_or_id
from wangge.core.scope import get_scope
from wangge.fieldwork import plans
from wangge.fieldwork.models import VisitPlan
from wangge.people.models import Household, Person
from wangge.territory.choices import COMMUNITY_KINDS, GRID_KINDS, NodeKind
from wangge.territory.models import Node

OPEN_TASKS = [TaskState.DISPATCHED, TaskState.SIGNED, TaskState.HANDLING]
# The moves the phone offers, in the order of its page.
FIELD_ACTIONS = [
    "sign",
    "start",
    "finish",
    "solve_now",
    "transfer",
    "send_back",
    "escalate",
    "request_extension",
]
PHOTO_ACTIONS = {"finish", "solve_now"}  # a photo of the result may go with these


def _shown_fields(action: str) -> set[str]:
    """The fields a move's form shows, whose errors are shown beside them (any other error,
    say on a note sent to a move without one, is listed above the moves)."""
    shown = {"reply"}
    if action == "finish" or machine.MOVES[action].needs_note:
        shown.add("note")
    if action in PHOTO_ACTIONS:
        shown.add("photo")
    if action == "transfer":
        shown.add("agency")
    return shown


LEAVING = {"finish", "solve_now", "transfer", "send_back", "escalate"}  # back to my tasks
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
        "phone/tasks.html",
        {
            "tasks": mine,
            "reported": reported,
            "now": now,
            "can_report": _may_report(user),
            "can_record_found": get_scope(user).has_perm("lostfound.add_founditem"),
            "visits_due": _visits_due(user),
        },
    )


def _visits_due(user) -> int | None:
    """How many of my places' people are due a visit today (None: not mine to see)."""
    if not get_scope(user).has_perm("fieldwork.view_visitplan"):
        return None
    return VisitPlan.objects.restrict(user, "view").filter(plans.due_q(plans.today())).count()


def _may_report(user) -> bool:
    return get_scope(user).has_perm("cases.add_case")


def _task_for(request, pk: int) -> Task:
    return get_object_or_404(
        Task.objects.restrict(request.user, "view").select_related(
            "case", "case__category", "case__grid", "assignee", "team"
        ),
        pk=pk,
    )


def _case_for(request, pk: int) -> Case:
    return get_object_or_404(
        Case.objects.restrict(request.user, "view").select_related("category", "grid", "agency"),
        pk=pk,
    )


# The note's label on each move's form (a move not named here asks for its reason).
NOTE_LABELS = {
    "finish": gettext_lazy("What was done"),
    "solve_now": gettext_lazy("What was done on the spot"),
    "transfer": gettext_lazy("What was arranged with the agency"),
}


def _page(
    request,
    case: Case,
    task: Task | None,
    *,
    status: int = 200,
    failed: str = "",
    given=None,
    errors: dict | None = None,
    revealed: str = "",
    reveal_form=None,
):
    """A case on the phone, from a task given to me or from what I reported: its facts, its
    latest steps and the moves I may make. After a refused move its form comes back with what
    was typed and chosen, and the photo asked for again."""
    user = request.user
    mine = services._my_task(case, user)
    allowed = set(machine.available(case, user, task=mine))
    given = given if given is not None else {}
    errors = errors or {}
    photo_sent = bool(request.FILES.get("photo")) if failed else False
    moves = []
    for action in FIELD_ACTIONS:
        if action not in allowed:
            continue
        move = machine.MOVES[action]
        here = action == failed
        moves.append(
            {
                "action": action,
                "label": move.label,
                "note": move.needs_note,
                "note_label": NOTE_LABELS.get(action, ""),
                "url": reverse("phone-task-act", args=[task.pk, action])
                if task is not None
                else reverse("phone-case-act", args=[case.pk, action]),
                "photo": action in PHOTO_ACTIONS,
                "given": given if here else {},
                "errors": errors if here else {},
                "photo_note": _photo_note(errors.get("photo")) if here and photo_sent else "",
            }
        )
    lost = failed and failed not in {move["action"] for move in moves}
    context = {
        "task": task,
        "case": case,
        "moves": moves,
        "agencies": Agency.objects.filter(is_active=True).order_by("kind", "name")
        if "transfer" in allowed
        else [],
        # Staff read both texts of a step, each named (the note is internal).
        "events": case.events.order_by("-at", "-pk")[:5],
        "photos": case.photos.order_by("pk"),
        "key": (given.get("key") or "").rsplit("-", 1)[0] or uuid.uuid4().hex,
        "failed": {
            "label": machine.MOVES[failed].label,
            "problems": [
                text for name, text in errors.items() if name not in _shown_fields(failed)
            ],
            "note": (given.get("note") or "").strip() if lost else "",
        }
        if failed
        else None,
        "can_reveal": services.may_reveal_reporter(user, case),
        "reveal_form": reveal_form or RevealForm(),
        "revealed": revealed,
        "reporter_phone": case._meta.get_field("reporter_phone").mask(case.reporter_phone),
        "max_reply": public_text.MAX_REPLY,
    }
    return render(request, "phone/task.html", context, status=status)


def _photo_note(problem: str | None) -> str:
    """What the page says of a photo chosen for a refused form: browsers cannot put a file
    back into a page, so it is asked for again, saying why."""
    reason = problem or _("a form sent back cannot keep the photo you chose.")
    return _("Choose the photo again: %(reason)s") % {"reason": reason}


@login_required
def task(request, pk: int):
    task = _task_for(request, pk)
    return _page(request, task.case, task)


@login_required
def case(request, pk: int):
    """A case on the phone (what I reported, or any in my places), with the moves I may make
    on it now; my open task on it, if I have one."""
    case = _case_for(request, pk)
    return _page(request, case, services._my_task(case, request.user))


@login_required
@require_POST
def task_act(request, pk: int, action: str):
    task = _task_for(request, pk)
    return _act(request, task.case, task, action)


@login_required
@require_POST
def case_act(request, pk: int, action: str):
    case = _case_for(request, pk)
    return _act(request, case, services._my_task(case, request.user), action)


def _act(request, case: Case, task: Task | None, action: str):
    if action not in FIELD_ACTIONS:
        raise Http404
    note = (request.POST.get("note") or "").strip()
    reply = public_text.reply_from_form(request.POST)
    upload = request.FILES.get("photo") if action in PHOTO_ACTIONS else None
    try:
        move = machine.check(case, action, request.user, task=services._my_task(case, request.user))
        if move.needs_note and not note:
            raise ValidationError({"note": _("Write what was done or why.")})
        # The photo is checked before the move: a finish with a file that is not a photo (or
        # too large) must change nothing, not finish the case and then lose the photo.
        if upload is not None:
            try:
                upload = photos.prepare_photo(upload)
            except ValidationError as exc:
                raise ValidationError({"photo": exc.messages}) from exc
        extra = {}
        if action == "request_extension":
            extra = {"amount": 2, "unit": "working_days"}
        if action == "transfer":
            agency = request.POST.get("agency") or ""
            extra["agency"] = (
                Agency.objects.filter(is_active=True, pk=int(agency)).first()
                if agency.isdigit()
                else None
            )
            if extra["agency"] is None:
                raise ValidationError({"agency": _("Choose the agency it goes to.")})
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
        return _page(
            request,
            case,
            task,
            status=409,
            failed=action,
            given=request.POST,
            errors={"": str(exc)},
        )
    except ValidationError as exc:
        found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        errors = {name: " ".join(problems) for name, problems in found.items()}
        return _page(
            request, case, task, status=400, failed=action, given=request.POST, errors=errors
        )
    messages.success(request, _("%(action)s: done.") % {"action": move.label})
    if action in LEAVING:
        return redirect("phone-tasks")
    if task is not None:
        return redirect("phone-task", pk=task.pk)
    return redirect("phone-case", pk=case.pk)


@never_cache
@login_required
@require_POST
def case_reveal(request, pk: int):
    """The reporter's full number, to call them back from the phone: for a stated purpose,
    audited by the service, shown on this answer only and never cached. A 404 for who may not
    make the case's callbacks."""
    case = _case_for(request, pk)
    if not services.may_reveal_reporter(request.user, case):
        raise Http404
    task = services._my_task(case, request.user)
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            value = services.reveal_reporter(
                actor=request.user, case=case, purpose=form.cleaned_data["purpose"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _page(request, case, task, revealed=value)
    return _page(request, case, task, status=400, reveal_form=form)


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


# The report form's names for the services' fields.
REPORT_FIELDS = {"file": "photo", "solved_note": "result", "note": "result", "lat": "lng"}


@login_required
def report(request):
    """Report a problem found on patrol: category, words, a photo, the phone's position; and,
    ticked, solved on the spot (当场办结) with what was done: the case is closed at once.

    A refused report comes back with everything typed and chosen, and the photo asked for
    again (a page cannot keep a chosen file); it keeps its key, as nothing was written."""
    user = request.user
    if not _may_report(user):
        raise Http404
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    places = Node.objects.inside(user).filter(is_active=True).defer("geometry")
    mine = places.filter(kind__in=GRID_KINDS)
    # Whoever works on many grids (a street, the district) picks the place first, as on the
    # grid page: the form then offers that place's grids, named with their community.
    try:
        wanted = NodeRefField(required=False).clean(
            request.POST.get("place") or request.GET.get("place")
        )
    except DjangoValidationError as exc:
        errors = {"grid": exc.messages}
        return _choose_grid(
            request,
            places,
            mine,
            within=None,
            query="",
            errors=errors,
            target="phone-report",
            key="place",
        )
    place = None
    if wanted:
        place = node_by_code_or_id(places, wanted)
        if place is None:
            raise Http404
    offered = mine.filter(path__startswith=place.path) if place is not None else mine
    many = offered.count() > GRIDS_LISTED
    if request.method == "GET" and many:
        query = (request.GET.get("q") or "").strip()[:SEARCH_MAX]
        return _choose_grid(
            request, places, mine, within=place, query=query, target="phone-report", key="place"
        )
    leaves, suggested = _categories(user)
    errors: dict[str, list[str]] = {}
    key = uuid.uuid4().hex
    if request.method == "POST":
        data = request.POST
        key = (data.get("key") or "").strip() or key
        category = next((c for c in leaves if str(c.pk) == data.get("category")), None)
        chosen = data.get("grid") or ""
        grid = mine.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        lng, lat = _number(data.get("lng")), _number(data.get("lat"))
        solved = data.get("solve_now") == "on"
        result = (data.get("result") or "").strip()
        if category is None:
            errors["category"] = [_("Choose what kind of problem it is.")]
        if lng is None and grid is None:
            errors["grid"] = [_("Add the position or choose the grid.")]
        if solved and not result:
            errors["result"] = [_("Write what was done on the spot.")]
        if not errors:
            try:
                # The photo is checked before the case is written: a bad photo leaves no case.
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
                    solved_note=result if solved else "",
                    idempotency_key=f"field:{key}",
                )
                if upload is not None:
                    photos.add_photo(
                        actor=user,
                        case=case,
                        upload=upload,
                        public=False,
                        idempotency_key=f"field-photo:{key}",
                    )
            except ValidationError as exc:
                found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
                for name, problems in found.items():
                    errors.setdefault(REPORT_FIELDS.get(name, name), []).extend(problems)
            except Refused as exc:
                errors["solve_now"] = [str(exc)]
            else:
                if wants_json:
                    return JsonResponse(
                        {"number": case.number, "id": case.pk, "state": case.state}, status=201
                    )
                if case.state == State.CLOSED:
                    text = _("Case %(number)s is in, solved on the spot and closed.")
                else:
                    text = _("Case %(number)s is in.")
                messages.success(request, text % {"number": case.number})
                return redirect("phone-tasks")
        if wants_json:
            return JsonResponse({"errors": errors}, status=400)
    photo_note = ""
    if errors and request.FILES.get("photo"):
        photo_note = _photo_note(" ".join(errors.get("photo", [])))
    if many:  # a report sent from the outbox without a place: only its own grid to show
        offered = (
            offered.filter(pk=grid.pk) if request.method == "POST" and grid else offered.none()
        )
    grids = list(offered.select_related("parent").order_by("path"))
    for option in grids:
        option.label = (
            f"{option.parent.name} {option.name}"
            if option.parent_id and len(grids) > 1
            else option.name
        )
    context = {
        "grids": grids,
        "place": place,
        "several_places": many or place is not None or mine.count() > GRIDS_LISTED,
        "categories": leaves,
        "suggested": suggested,
        "errors": errors,
        "other_errors": [
            problem
            for name, problems in errors.items()
            if name not in SHOWN_REPORT_FIELDS
            for problem in problems
        ],
        "photo_note": photo_note,
        "values": request.POST if request.method == "POST" else {},
        "key": key,
        "photo_types": ",".join(photos.ACCEPTED_TYPES),
        "photo_max": photos.max_bytes(),
        "photo_max_text": photos.size_text(photos.max_bytes()),
    }
    return render(request, "phone/report.html", context, status=400 if errors else 200)


# Fields of the report form that show their own errors.
SHOWN_REPORT_FIELDS = {"category", "description", "photo", "grid", "lng", "address", "result"}


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


def _choose_grid(
    request, places, grids, *, within, query, errors=None, target="phone-grid", key="grid"
):
    """Which grid: the grids found by name, or those of one place, or (when there are many)
    the communities to narrow down to; each leads to ``target`` with ``?<key>=<code>`` (the
    grid page, or the report form for its place)."""
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
        "target": reverse(target),
        "key": key,
        "for_report": target == "phone-report",
    }
    return render(request, "phone/grid_choose.html", context, status=400 if errors else 200)


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
    return render(request, "phone/grid.html", context)


def manifest(request):
    """The web app manifest: the phone pages install as an app (a PWA)."""
    data = {
        "name": _("Wangge · grid worker"),
        "short_name": _("Wangge"),
        "lang": "zh-CN",
        "start_url": reverse("phone-tasks"),
        "scope": reverse("phone-tasks"),
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
    path = finders.find("js/phone-sw.js")
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    shell = [
        reverse("phone-tasks"),
        reverse("phone-report"),
        static("css/wangge.css"),
        static("css/phone.css"),
        static("js/wangge.js"),
        static("js/phone.js"),
        static("img/logo.svg"),
    ]
    body = body.replace("__SHELL__", json.dumps(shell))
    response = HttpResponse(body, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
