"""The staff console's case pages: the list with its queues and filters, a case with its
timeline and the moves the caller may make now, and a new case taken on someone's behalf."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.cases import actions, duplicates, machine, public_text, related, services
from wangge.cases.choices import OPEN_STATES, ExtensionState, Mark, Rating, State
from wangge.cases.filters import CaseFilter, open_tasks_of
from wangge.cases.forms import RevealForm, StaffCaseForm
from wangge.cases.machine import Refused
from wangge.cases.models import Agency, Case, Team
from wangge.cases.pickers import category_picker, handler_picker
from wangge.core.errors import ValidationError
from wangge.core.formspec import answer_text, questions
from wangge.core.paging import CappedPaginator
from wangge.core.scope import get_scope
from wangge.territory.models import Node
from wangge.territory.pickers import place_picker

PAGE_SIZE = 50
RELATED = ("category", "grid", "handler", "level")

# The queues of "what needs me now": each a filter of the case list.
QUEUES = [
    ("reported", gettext_lazy("To accept"), "state=reported"),
    ("to_dispatch", gettext_lazy("To dispatch"), "state=accepted&state=returned"),
    ("mine", gettext_lazy("My tasks"), "mine=true"),
    ("done", gettext_lazy("To verify"), "state=done"),
    ("verified", gettext_lazy("To call back"), "state=verified"),
    ("yellow", gettext_lazy("About to be late"), "mark=yellow"),
    ("late", gettext_lazy("Late"), "overdue=true"),
]


# Timeline steps that are not moves of the machine.
STEP_LABELS = {
    "reported": gettext_lazy("Reported"),
    "accepted": gettext_lazy("Accept"),
    "thanked": gettext_lazy("Thanked and closed (praise is not a problem to solve)"),
    "duplicate_merged": gettext_lazy("A duplicate was merged into it"),
    "overdue_escalated": gettext_lazy("Late: escalated"),
    # The sweep's marks (internal: the resident sees none of them).
    "marked_yellow": gettext_lazy("Marked yellow: about to be late"),
    "marked_red": gettext_lazy("Marked red: late"),
    "photo_added": gettext_lazy("Photo added"),
    # Lost and found's steps on a found item's case.
    "claim_received": gettext_lazy("Someone claimed the item"),
    "claim_verified": gettext_lazy("Claimant verified"),
    "claim_rejected": gettext_lazy("Claim turned down"),
    "handed_over": gettext_lazy("Handed to its owner"),
}


def step_label(action: str) -> str:
    move = machine.MOVES.get(action)
    return str(move.label) if move else str(STEP_LABELS.get(action, action))


def visible_cases(user):
    return Case.objects.restrict(user, "view").select_related(*RELATED)


def queue_counts(user) -> list[dict]:
    """The count in each queue, from one query (the tasks one aside)."""
    cases = Case.objects.restrict(user, "view")
    # Every queue holds open cases (a mark goes when a case is closed or parked): counted
    # from those alone, a few in a hundred, found through the index on the state.
    counts = cases.filter(state__in=OPEN_STATES).aggregate(
        reported=Count("pk", filter=Q(state=State.REPORTED)),
        to_dispatch=Count("pk", filter=Q(state__in=[State.ACCEPTED, State.RETURNED])),
        done=Count("pk", filter=Q(state=State.DONE)),
        verified=Count("pk", filter=Q(state=State.VERIFIED)),
        yellow=Count("pk", filter=Q(mark=Mark.YELLOW)),
        late=Count("pk", filter=Q(mark=Mark.RED)),
    )
    counts["mine"] = cases.filter(pk__in=open_tasks_of(user)).count()
    return [
        {"key": key, "label": label, "count": counts[key], "query": query}
        for key, label, query in QUEUES
    ]


@login_required
def case_list(request):
    if not get_scope(request.user).has_perm("cases.view_case"):
        raise Http404
    filterset = case_filterset(request)
    status = 200
    if filterset.is_bound and not filterset.is_valid():
        # A value that makes no sense is named on its field, and nothing is listed for it.
        status = 400
        cases = visible_cases(request.user).none()
    elif filterset.is_bound:
        cases = filterset.qs.order_by("-created_at", "-pk")
    else:
        cases = visible_cases(request.user).order_by("-created_at", "-pk")
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    scope = get_scope(request.user)
    can_bulk = scope.has_perm("cases.dispatch_case") or scope.has_perm("cases.accept_case")
    context = {
        "filterset": filterset,
        "page": page,
        "queues": queue_counts(request.user),
        "query": query.urlencode(),
        "can_add": scope.has_perm("cases.add_case"),
        "bulk": _bulk_choices(request.user) if can_bulk else None,
    }
    return render(request, "cases/console_list.html", context, status=status)


def case_filterset(request) -> CaseFilter:
    """The case list's filters as the page shows them: the category tree, the caller's places
    and the people working in them to pick by name, the states as boxes to tick."""
    filterset = CaseFilter(request.GET or None, visible_cases(request.user), request=request)
    fields = filterset.form.fields
    fields["category"].widget = category_picker()
    fields["grid"].widget = place_picker(request.user)
    fields["handler"].widget = handler_picker(request.user)
    fields["q"].widget = forms.TextInput(attrs={"type": "search"})
    return filterset


# The moves the list may make on many cases at once.
BULK_MOVES = ("accept", "dispatch")
BULK_MAX = 200


def _bulk_choices(user) -> dict:
    """Who and which teams the list's bulk dispatch offers: the people working in the
    user's scope (one line each), and its active teams."""
    people, seen = [], set()
    # Plain rows, not model instances: a district offers everyone who works in it.
    memberships = (
        Membership.objects.restrict(user, "view")
        .filter(is_active=True, user__is_active=True)
        .exclude(role__in=[Role.VOLUNTEER, Role.PARTY_MEMBER])
        .order_by("node__path", "role", "user__username")
        .values_list("user_id", "user__display_name", "user__username", "node__name")
    )
    for user_id, display_name, username, place in memberships:
        if user_id not in seen:
            seen.add(user_id)
            who = f"{display_name} ({username})" if display_name else username
            people.append((user_id, f"{who} · {place}"))
    return {
        "moves": [(action, machine.MOVES[action].label) for action in BULK_MOVES],
        "people": people,
        "teams": Team.objects.restrict(user, "view").filter(is_active=True).order_by("name"),
    }


@login_required
@require_POST
def case_bulk(request):
    """One move on the cases ticked in the list: accept them, or dispatch them to one person
    or team (or each by its routing rules). Each case moves on its own, through the same
    service as one at a time; the ones the machine refuses are listed with the reason."""
    scope = get_scope(request.user)
    if not (scope.has_perm("cases.dispatch_case") or scope.has_perm("cases.accept_case")):
        raise Http404
    back = reverse("case-console-list")
    query = request.POST.get("query", "")
    if query:
        back = f"{back}?{query}"
    action = request.POST.get("action", "")
    if action not in BULK_MOVES:
        messages.error(request, _("Choose what to do with the ticked cases."))
        return redirect(back)
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()][: BULK_MAX + 1]
    if not ids:
        messages.error(request, _("Tick the cases first."))
        return redirect(back)
    if len(ids) > BULK_MAX:
        messages.error(request, _("At most %(n)s cases at once.") % {"n": BULK_MAX})
        return redirect(back)
    data = request.POST.copy()
    if action == "dispatch":
        data.setlist("assignees", [request.POST.get("assignee", "")])
    done, refused = [], []
    cases = {case.pk: case for case in visible_cases(request.user).filter(pk__in=ids)}
    for pk in ids:
        case = cases.get(pk)
        if case is None:  # gone or outside scope: the same answer
            refused.append((str(pk), _("Not found")))
            continue
        try:
            kwargs = actions.from_form(request.user, case, data)
            services.act(actor=request.user, case=case, action=action, **kwargs)
        except (Refused, ValidationError, Http404) as exc:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            refused.append((case.number, reason))
        else:
            done.append(case.number)
    label = machine.MOVES[action].label
    if done:
        messages.success(
            request,
            _("%(action)s: done for %(n)s cases.") % {"action": label, "n": len(done)},
        )
    for number, reason in refused:
        messages.error(request, f"{number}: {reason}")
    return redirect(back)


def _case_for(request, pk: int) -> Case:
    cases = visible_cases(request.user).select_related(
        "agency", "category__agency", "category__urgent_agency"
    )
    return get_object_or_404(cases, pk=pk)


@login_required
def case_detail(request, pk: int):
    case = _case_for(request, pk)
    return render(request, "cases/console_detail.html", _detail_context(request, case))


def _detail_context(
    request, case: Case, *, failed=None, given=None, errors=None, refused="", revealed=""
) -> dict:
    """The case page; after a refused move, that move's form open again with what was typed
    and chosen, and the reasons beside the fields they concern."""
    user = request.user
    task = services._my_task(case, user)
    available = machine.available(case, user, task=task)
    actions = [
        _action_form(
            user,
            case,
            action,
            given=given if action == failed else None,
            errors=errors if action == failed else None,
        )
        for action in available
        # Deciding on an extension needs one asked for.
        if action != "decide_extension"
        or case.extensions.filter(state=ExtensionState.PENDING).exists()
    ]
    lost = failed is not None and failed not in {form["action"] for form in actions}
    return {
        "case": case,
        "mark": Mark(case.mark).label if case.mark else "",
        "answers": _answers(case),
        "tasks": case.tasks.select_related("assignee", "team").order_by("pk"),
        "events": [
            (
                event,
                step_label(event.action),
                State(event.to_state).label
                if event.to_state in State.values and event.to_state != event.from_state
                else "",
            )
            for event in case.events.select_related("actor").order_by("at", "pk")
        ],
        "photos": case.photos.order_by("pk"),
        "extensions": case.extensions.order_by("-pk"),
        "actions": actions,
        "failed": (
            {
                "label": machine.MOVES[failed].label,
                "refused": refused,
                # The move is no longer offered: what was typed is shown, not lost.
                "note": (given.get("note") or "").strip() if lost and given else "",
            }
            if failed
            else None
        ),
        "reporter_phone": case._meta.get_field("reporter_phone").mask(case.reporter_phone),
        "max_reply": public_text.MAX_REPLY,
        "can_reveal": services.may_reveal_reporter(user, case),
        "reveal_form": RevealForm(),
        "revealed": revealed,
        "related": related.related(user, case),
    }


@never_cache
@login_required
@require_POST
def case_reveal(request, pk: int):
    """The reporter's full number to call them back, for a stated purpose: audited by the
    service, shown on this answer only, never cached; a 404 for who may not call back."""
    case = _case_for(request, pk)
    if not services.may_reveal_reporter(request.user, case):
        raise Http404
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            value = services.reveal_reporter(
                actor=request.user, case=case, purpose=form.cleaned_data["purpose"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            context = _detail_context(request, case, revealed=value)
            return render(request, "cases/console_detail.html", context)
    context = _detail_context(request, case)
    context["reveal_form"] = form
    return render(request, "cases/console_detail.html", context, status=400)


def _answers(case: Case) -> list[tuple[str, str]]:
    given = case.attributes or {}
    if not case.category.form_id:
        return []
    return [
        (question.label, answer_text(question, given[question.code], yes=_("Yes"), no=_("No")))
        for question in questions(case.category.form)
        if question.code in given
    ]


# What each move asks for on the page, besides a note.
_FIELDS = {
    "dispatch": ["assignees", "team"],
    "transfer": ["agency"],
    "close": ["rating"],
    "rate": ["rating"],
    "merge": ["target"],
    "recategorize": ["category"],
    "request_extension": ["amount", "unit"],
    "decide_extension": ["extension", "approve"],
    "decide": ["project_ref"],
    "park": ["parked_until"],
}


def _action_form(user, case: Case, action: str, *, given=None, errors=None) -> dict:
    move = machine.MOVES[action]
    fields = _FIELDS.get(action, [])
    form = {"action": action, "label": move.label, "needs_note": move.needs_note, "fields": fields}
    if "assignees" in fields:
        form["people"] = _people_near(user, case)
        form["teams"] = Team.objects.restrict(user, "view").filter(is_active=True).order_by("name")
    if "agency" in fields:
        form["agencies"] = Agency.objects.filter(is_active=True).order_by("name")
        # The category's own (the one to call at once when the case is urgent) comes chosen.
        category = case.category
        suggested = category.urgent_agency if case.urgent else None
        form["suggested_agency"] = (suggested or category.agency or Agency()).pk
    if "rating" in fields:
        form["ratings"] = Rating.choices
    if "extension" in fields:
        form["pending"] = case.extensions.filter(state=ExtensionState.PENDING)
    if "category" in fields:
        form["categories"] = (
            case.category.tree.categories.filter(
                is_active=True, children__isnull=True, counts_as_problem=True
            )
            .select_related("parent")
            .order_by("parent__sort", "sort")
        )
    # After a refusal: the move's form open again, as it was sent.
    given = given if given is not None else {}
    form["open"] = bool(given)
    form["given"] = given
    form["given_assignees"] = given.getlist("assignees") if hasattr(given, "getlist") else []
    form["chosen_category"] = given.get("category") or case.category.code
    form["amount"] = given.get("amount") or "2"
    errors = dict(errors or {})
    shown = {*fields, "note", "unit", "approve"}
    form["errors"] = {name: text for name, text in errors.items() if name in shown}
    form["problems"] = [text for name, text in errors.items() if name not in shown]
    return form


def _people_near(user, case: Case):
    """Who works at the case's place (its grid and the nodes above it), as far as ``user``
    may see the memberships."""
    places = [*case.grid.ancestor_ids, case.grid_id]
    return (
        Membership.objects.restrict(user, "view")
        .filter(node_id__in=places, is_active=True, user__is_active=True)
        .exclude(role__in=[Role.VOLUNTEER, Role.PARTY_MEMBER])
        .select_related("user", "node")
        .order_by("node__depth", "role", "user__username")
    )


@login_required
@require_POST
def case_act(request, pk: int, action: str):
    """A move from the case page. Refused, the page comes back with the move's form open and
    everything typed and chosen kept (400 for bad input, 409 when the move is not allowed)."""
    case = _case_for(request, pk)
    if action not in machine.MOVES:
        raise Http404
    try:
        kwargs = actions.from_form(request.user, case, request.POST)
        case = services.act(actor=request.user, case=case, action=action, **kwargs)
    except Refused as exc:
        context = _detail_context(
            request, case, failed=action, given=request.POST, refused=str(exc)
        )
        return render(request, "cases/console_detail.html", context, status=409)
    except ValidationError as exc:
        errors = {
            name: " ".join(problems)
            for name, problems in (
                exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            ).items()
        }
        context = _detail_context(request, case, failed=action, given=request.POST, errors=errors)
        return render(request, "cases/console_detail.html", context, status=400)
    messages.success(request, _("%(action)s: done.") % {"action": machine.MOVES[action].label})
    return redirect("case-console-detail", pk=case.pk)


@login_required
def case_new(request):
    """A case taken on a resident's behalf (a call, a visit, a message in the grid's group)."""
    scope = get_scope(request.user)
    if not scope.has_perm("cases.add_case"):
        raise Http404
    grids = Node.objects.restrict(request.user, "view").filter(
        kind__in=StaffCaseForm.GRID_KINDS, is_active=True
    )
    form = StaffCaseForm(request.POST or None, grids=grids)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            point = data["lng"] is not None and data["lat"] is not None
            try:
                case = services.report(
                    actor=request.user,
                    channel=data["channel"],
                    category=data["category"],
                    description=data["description"],
                    title=data["title"],
                    grid=data["grid"],
                    lng=data["lng"] if point else None,
                    lat=data["lat"] if point else None,
                    crs=data["crs"],
                    address=data["address"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    attributes=form.answers(),
                    reply=public_text.reply_from_form(data),
                    idempotency_key=f"console:{data['key']}",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            else:
                messages.success(request, _("Case %(number)s is in.") % {"number": case.number})
                return redirect("case-console-detail", pk=case.pk)
        else:
            status = 400
    elif not form.is_bound:
        form.initial["key"] = uuid.uuid4().hex
    context = {"form": form, "max_reply": public_text.MAX_REPLY}
    return render(request, "cases/console_new.html", context, status=status)


@login_required
def case_duplicates(request):
    """The open cases that may be the same problem, for the new-case page (htmx)."""
    if not get_scope(request.user).has_perm("cases.add_case"):
        raise Http404
    code = request.GET.get("category") or ""
    suggestions = []
    if code.isdigit():
        try:
            category = actions.current_category(code)
        except ValidationError:
            category = None
        if category is not None:
            lng, lat = _float(request.GET.get("lng")), _float(request.GET.get("lat"))
            grid = None
            if (request.GET.get("grid") or "").isdigit():
                grid = (
                    Node.objects.restrict(request.user, "view")
                    .filter(pk=int(request.GET["grid"]))
                    .first()
                )
            suggestions = duplicates.find(
                visible_cases(request.user),
                category=category,
                text=request.GET.get("description") or "",
                lng=lng,
                lat=lat,
                grid=grid,
            )
    return render(request, "cases/console_duplicates.html", {"suggestions": suggestions})


def _float(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None
