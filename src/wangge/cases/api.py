"""The staff API of the closed loop: cases, their actions, categories, duplicates, metrics."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.formats import date_format
from django.utils.translation import gettext
from ninja import Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.accounts.models import User
from wangge.cases import actions, duplicates, metrics, services
from wangge.cases.filters import CaseFilter, CategoryField
from wangge.cases.machine import Refused
from wangge.cases.models import (
    Agency,
    Case,
    CaseRollup,
    Category,
    GridRollup,
    Task,
    Team,
)
from wangge.cases.presenters import case_data, case_detail
from wangge.cases.schemas import (
    ActionIn,
    AgencyOut,
    CaseDetail,
    CaseIn,
    CaseOut,
    CaseRevealIn,
    CaseRevealOut,
    CategoryDetail,
    CategoryOut,
    DuplicateOut,
    MetricsRow,
    TaskListOut,
    TeamOut,
)
from wangge.core.api import Page, Presented, apply_filters, problem
from wangge.core.filters import (
    NodeRefField,
    UserRefField,
    as_id,
    clean_ref,
    node_by_code_or_id,
    query_schema,
)
from wangge.core.scope import get_scope
from wangge.territory.choices import CRS
from wangge.territory.models import Building, Node

router = Router(tags=["cases"])
CaseQuery = query_schema(CaseFilter, "CaseQuery")


CASE_RELATED = ("category", "grid", "handler", "level", "agency")


def _cases(request, action="view"):
    return Case.objects.restrict(request.user, action).select_related(*CASE_RELATED)


_category = actions.current_category


# --- Categories ---------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut])
def list_categories(request):
    """The current category tree (standards as data, edited in the admin)."""
    categories = list(
        Category.objects.filter(tree__is_current=True, is_active=True).select_related(
            "agency", "urgent_agency"
        )
    )
    parents = {category.parent_id for category in categories}
    return [
        {**_category_fields(category), "leaf": category.pk not in parents}
        for category in categories
    ]


@router.get("/agencies", response=list[AgencyOut])
def list_agencies(request):
    """Outside agencies a case can be handed to (``transfer``): an aid station, the heating
    company. Any signed-in user may read the list."""
    return Agency.objects.filter(is_active=True).order_by("name")


@router.get("/teams", response=list[TeamOut])
def list_teams(request):
    """Teams a case can be dispatched to, within the caller's scope."""
    teams = Team.objects.restrict(request.user, "view").filter(is_active=True)
    return [
        {
            "id": team.pk,
            "name": team.name,
            "node_id": team.node_id,
            "members": [member.pk for member in team.members.all()],
        }
        for team in teams.prefetch_related("members").order_by("name")
    ]


def _category_fields(category):
    return {
        "id": category.pk,
        "code": category.code,
        "name": category.name,
        "parent_id": category.parent_id,
        "default_kind": category.default_kind,
        "public": category.public,
        "counts_as_problem": category.counts_as_problem,
        "urgent_when": category.urgent_when,
        "agency": category.agency.name if category.agency_id else None,
        "urgent_agency": category.urgent_agency.name if category.urgent_agency_id else None,
        "duplicate_radius_m": category.duplicate_radius_m,
        "duplicate_window_days": category.duplicate_window_days,
    }


@router.get("/categories/{code}", response=CategoryDetail)
def get_category(request, code: str):
    """A category with its questions and time limits."""
    category = (
        Category.objects.filter(tree__is_current=True, code=code)
        .select_related("agency", "urgent_agency")
        .first()
    )
    if category is None:
        raise Http404
    questions = list(category.form.questions.all()) if category.form_id else []
    return {
        **_category_fields(category),
        "leaf": not category.children.exists(),
        "questions": questions,
        "limits": list(category.limits.all()),
    }


# --- Cases ---------------------------------------------------------------------------------------


@router.get("/cases", response=list[CaseOut])
@paginate(Page)
def list_cases(request, filters: Query[CaseQuery]):
    """Cases in the caller's scope (and those assigned to them), newest first."""
    cases = apply_filters(CaseFilter, filters, _cases(request), request)
    return Presented(cases, case_data)


@router.get("/cases/duplicates", response=list[DuplicateOut])
def find_duplicates(
    request,
    category: str,
    text: str = "",
    lng: float | None = None,
    lat: float | None = None,
    crs: CRS = CRS.WGS84,
    grid: int | None = None,
):
    """Open cases that may be the same problem: offered while a case is being entered."""
    from wangge.territory import geo

    found = _category(category)
    if lng is not None and lat is not None:
        lng, lat = (float(v) for v in geo.to_wgs84(lng, lat, crs))
    node = None
    if grid is not None:
        node = get_object_or_404(Node.objects.restrict(request.user, "view"), pk=grid)
    suggestions = duplicates.find(
        _cases(request), category=found, text=text, lng=lng, lat=lat, grid=node
    )
    return [
        {"case": case_data(s.case), "distance_m": s.distance_m, "similarity": s.similarity}
        for s in suggestions
    ]


@router.get("/cases/{case_id}", response=CaseDetail)
def get_case(request, case_id: int):
    return case_detail(get_object_or_404(_cases(request), pk=case_id), request.user)


@router.post("/cases", response={201: CaseDetail})
def create_case(
    request, payload: CaseIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
):
    """Enter a case (by phone, walk-in, a group-chat message, a field report …).

    A retry with the same ``Idempotency-Key`` returns the first case.
    """
    category = _category(payload.category)
    grid = building = None
    if payload.grid is not None:
        grid = get_object_or_404(Node.objects.restrict(request.user, "view"), pk=payload.grid)
    if payload.building is not None:
        building = get_object_or_404(
            Building.objects.restrict(request.user, "view"), pk=payload.building
        )
    case = services.report(
        actor=request.user,
        channel=payload.channel,
        category=category,
        description=payload.description,
        title=payload.title,
        kind=payload.kind,
        grid=grid,
        lng=payload.lng,
        lat=payload.lat,
        crs=payload.crs,
        address=payload.address,
        building=building,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        attributes=payload.attributes,
        public=payload.public,
        reply=payload.reply,
        idempotency_key=idempotency_key,
    )
    return Status(201, case_detail(case, request.user))


@router.post("/cases/{case_id}/actions/{action}", response={200: CaseDetail, 409: None})
def act(request, case_id: int, action: str, payload: ActionIn):
    """One move of the loop (``accept``, ``dispatch``, ``sign``, ``finish``, ``verify``,
    ``close``, ``reopen``, ``escalate``, ``transfer``, ``merge`` …). A move the case's state or
    the caller's role does not allow is refused with 409 and the reason."""
    case = get_object_or_404(_cases(request), pk=case_id)
    kwargs = actions.arguments(request.user, case, **payload.model_dump())
    try:
        case = services.act(actor=request.user, case=case, action=action, **kwargs)
    except Refused as exc:
        return problem(409, "Conflict", str(exc))
    # The actor sees the case they just moved, even where a move took it out of their lists.
    return case_detail(case, request.user)


@router.post("/cases/{case_id}/reveal", response=CaseRevealOut)
def reveal_reporter(request, case_id: int, payload: CaseRevealIn):
    """The reporter's full phone number (to call them back), for a stated purpose that goes
    into the audit log. Whoever makes the case's callbacks may ask (``close`` where it lies);
    anyone else gets a 404."""
    case = get_object_or_404(_cases(request), pk=case_id)
    value = services.reveal_reporter(actor=request.user, case=case, purpose=payload.purpose)
    return {"case_id": case.pk, "field": "reporter_phone", "value": value}


# --- Tasks ------------------------------------------------------------------------------------


class TaskFilterQuery(Schema):
    mine: bool = False
    state: str | None = None


@router.get("/tasks", response=list[TaskListOut])
@paginate(Page)
def list_tasks(request, filters: Query[TaskFilterQuery]):
    """Work orders: within the caller's scope, or with ``mine=true`` those assigned to them
    (我的待办) wherever they lie."""
    tasks = Task.objects.restrict(request.user, "view").select_related("case", "assignee", "team")
    if filters.mine:
        tasks = tasks.filter(assignee=request.user)
    if filters.state:
        tasks = tasks.filter(state=filters.state)
    return tasks.order_by("-created_at")


@router.get("/tasks/{task_id}", response=TaskListOut)
def get_task(request, task_id: int):
    tasks = Task.objects.restrict(request.user, "view").select_related("case", "assignee", "team")
    return get_object_or_404(tasks, pk=task_id)


# --- Metrics -------------------------------------------------------------------------------------


@router.get("/metrics", response=list[MetricsRow])
def get_metrics(
    request,
    node: str | None = None,
    category: str | None = None,
    handler: str | None = None,
    since: str | None = None,
    until: str | None = None,
    group_by: str = "none",
):
    """The three rates and their companions, each with its count, for cases received from
    ``since`` to ``until`` (months, inclusive), within ``node`` (default: the caller's
    places). ``node`` is a division's or grid's code (or its id), ``category`` a category's code
    (or its id), ``handler`` a user's id or user name. ``group_by``: ``none``, ``node`` (the
    level below), ``category``, ``handler`` or ``month``."""
    if group_by not in {"none", "node", "category", "handler", "month"}:
        raise services.ValidationError(
            {"group_by": gettext("Should be none, node, category, handler or month")}
        )
    if not get_scope(request.user).has_perm("cases.view_case"):
        raise Http404
    inside = Node.objects.inside(request.user, "view")
    # Without a category or a handler, the per-grid roll-up holds the same sums in fewer rows.
    detailed = bool(category) or bool(handler) or group_by in {"category", "handler"}
    rows = (CaseRollup if detailed else GridRollup).objects.restrict(request.user, "view")
    node = clean_ref("node", node, NodeRefField(required=False))
    categories = clean_ref("category", category, CategoryField(required=False))
    handler = clean_ref("handler", handler, UserRefField(required=False))
    parent = None
    if node:
        parent = node_by_code_or_id(inside, node)
        if parent is None:
            raise Http404
        rows = metrics.within(rows, [parent])
    first, last = metrics.parse_month(since, "since"), metrics.parse_month(until, "until")
    if first:
        rows = rows.filter(month__gte=first)
    if last:
        rows = rows.filter(month__lte=last)
    if categories:
        rows = rows.filter(category_id__in=categories)
    if handler:
        pk = as_id(handler)
        if pk is None:  # a user name
            pk = User.objects.filter(username=handler).values_list("pk", flat=True).first() or -1
        rows = rows.filter(handler_id=pk)
    if group_by == "none":
        return [_row("all", gettext("Total"), metrics.totals(rows))]
    if group_by == "month":
        grouped = rows.values("month").annotate(**metrics.sums()).order_by("month")
        return [
            _row(f"{g['month']:%Y-%m}", date_format(g["month"], "YEAR_MONTH_FORMAT"), g)
            for g in grouped
        ]
    if group_by == "handler":
        grouped = rows.values("handler_id").annotate(**metrics.sums()).order_by("handler_id")
        names = User.objects.in_bulk([g["handler_id"] for g in grouped if g["handler_id"]])
        return [
            _row(
                str(g["handler_id"]), str(names.get(g["handler_id"], gettext("Not dispatched"))), g
            )
            for g in grouped
        ]
    if group_by == "category":
        grouped = rows.values("category_id").annotate(**metrics.sums()).order_by("category_id")
        names = Category.objects.in_bulk([g["category_id"] for g in grouped])
        return [
            _row(str(g["category_id"]), names[g["category_id"]].name, g)
            for g in grouped
            if g["category_id"] in names
        ]
    # By node: the level below ``node`` (or the caller's own places when none is given).
    children = (
        list(inside.filter(parent=parent).order_by("code"))
        if parent
        else list(metrics.top_nodes(request.user, inside))
    )
    per_node = metrics.by_node(rows, children, inside)
    return [
        _row(str(child.pk), child.name, total)
        for child, total in zip(children, per_node, strict=True)
    ]


def _row(key, label, counts):
    return {"key": key, "label": label, **metrics.summarize(counts)}
