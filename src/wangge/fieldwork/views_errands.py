"""The console's pages of the grid team and its errands (帮办代办): ``/grid-team/`` (the
members of the teams in my places, their buildings, open errands and service hours; buildings
given and taken back; a helper added), ``/errands/`` (the list, with filters, saved views and
export), ``/errands/new/`` (raised for a person picked by name), ``/errands/<id>/`` (the errand,
its steps and audit history, and what may be done with it now)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wangge.accounts.choices import Role
from wangge.accounts.models import User
from wangge.core.errors import ValidationError
from wangge.core.imports import REGISTRY
from wangge.core.models import AuditEvent
from wangge.core.scope import get_scope
from wangge.fieldwork import errands as shown
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork import team
from wangge.fieldwork.filters import CareRequestFilter, TeamFilter
from wangge.fieldwork.models import (
    CareRequest,
    ErrandKind,
    ErrandSource,
    ErrandState,
    RatingWay,
    TeamDuty,
)
from wangge.people.models import Person
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Building, Node
from wangge.territory.pickers import place_filter_widget, place_picker

PAGE_SIZE = 50
PICKER = {
    "data-picker": "",
    "data-picker-placeholder": gettext_lazy("Search by name"),
    "data-picker-none": gettext_lazy("Nothing by that name."),
}


def _problems(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown on the form's fields (what was typed is kept)."""
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, " ".join(messages_))


# --- The grid team -------------------------------------------------------------------------------


class MemberForm(forms.Form):
    node = forms.ChoiceField(label=gettext_lazy("Grid or community"))
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[(role.value, role.label) for role in Role if role in team.HELPER_ROLES],
    )
    display_name = forms.CharField(label=gettext_lazy("Name"), max_length=64)
    username = forms.CharField(label=gettext_lazy("User name (to sign in)"), max_length=150)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20, required=False)

    def __init__(self, *args, user, **kwargs):
        # Its ids apart from the filters' on the same page (both have a role).
        kwargs.setdefault("auto_id", "member-%s")
        super().__init__(*args, **kwargs)
        self.fields["node"].widget = place_picker(user)
        self.fields["node"].choices = self.fields["node"].widget.choices


def _building_choices(user, membership) -> list[tuple[str, str]]:
    """The buildings a member may be given: in my places, in the member's reach."""
    node = membership.node
    rows = Building.objects.restrict(user, "view").select_related("grid")
    if node.kind in GRID_KINDS:
        grid = node if node.kind != "micro_grid" else node.parent
        rows = rows.filter(grid__path__startswith=grid.path)
    else:
        rows = rows.filter(grid__path__startswith=node.path)
    return [
        (str(b.pk), f"{b.grid.name} {b.compound}{b.name}")
        for b in rows.order_by("grid__code", "compound", "name")[:300]
    ]


@login_required
def team_page(request):
    """网格团队: who helps in my grids, their buildings, open errands and service hours."""
    user = request.user
    if not team.may_see_team(user):
        raise Http404
    rows = team.team_memberships(user).order_by("node__path", "role", "user__username")
    filterset = TeamFilter(request.GET or None, rows, request=request)
    filterset.form.fields["grid"].widget = place_filter_widget(user)
    if filterset.is_bound and filterset.is_valid():
        rows = filterset.qs
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    members = list(page)
    facts = team.member_facts(user, members)
    scope = get_scope(user)
    may_assign = scope.has_perm("fieldwork.add_teamduty")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "rows": [
            {
                "membership": membership,
                "fact": facts[membership.pk],
                "hours": team.hours(facts[membership.pk]["month_minutes"]),
                "year_hours": team.hours(facts[membership.pk]["year_minutes"]),
                "buildings": list(
                    zip(
                        facts[membership.pk]["building_ids"],
                        facts[membership.pk]["buildings"],
                        strict=True,
                    )
                ),
                "choices": _building_choices(user, membership) if may_assign else [],
            }
            for membership in members
        ],
        "query": query.urlencode(),
        "may_assign": may_assign,
        "member_form": MemberForm(user=user) if scope.has_perm("accounts.add_membership") else None,
        "export_kind": "grid-team" if "grid-team" in REGISTRY else "",
    }
    return render(request, "fieldwork/team_list.html", context)


@login_required
@require_POST
def team_member_add(request):
    user = request.user
    if not (team.may_see_team(user) and get_scope(user).has_perm("accounts.add_membership")):
        raise Http404
    form = MemberForm(request.POST, user=user)
    if form.is_valid():
        node = Node.objects.inside(user).filter(code=form.cleaned_data["node"]).first()
        if node is None:
            form.add_error("node", _("Pick a grid or community of yours"))
        else:
            try:
                fieldwork.add_team_member(
                    actor=user,
                    node=node,
                    role=form.cleaned_data["role"],
                    username=form.cleaned_data["username"],
                    display_name=form.cleaned_data["display_name"],
                    phone=form.cleaned_data["phone"],
                )
            except ValidationError as error:
                _problems(form, error)
            else:
                messages.success(request, _("The member has joined the team."))
                return redirect("grid-team")
    return render(request, "fieldwork/team_add.html", {"form": form}, status=400)


@login_required
@require_POST
def team_building(request, membership_id: int):
    """Give a member a building to look after (``building``), or take one back (``remove``)."""
    user = request.user
    if not team.may_see_team(user):
        raise Http404
    membership = get_object_or_404(team.team_memberships(user), pk=membership_id)
    back = request.POST.get("next") or "/grid-team/"
    if not back.startswith("/grid-team/"):
        back = "/grid-team/"
    try:
        if request.POST.get("remove"):
            duty = get_object_or_404(
                TeamDuty.objects.restrict(user, "view").select_related("building__grid"),
                membership=membership,
                building_id=request.POST["remove"][:12] if request.POST["remove"].isdigit() else 0,
            )
            fieldwork.unassign_building(actor=user, duty=duty)
            messages.success(request, _("The building is no longer theirs to look after."))
        else:
            value = request.POST.get("building", "")
            building = (
                Building.objects.restrict(user, "view").filter(pk=value).first()
                if value.isdigit()
                else None
            )
            if building is None:
                raise ValidationError({"building": _("Pick a building")})
            fieldwork.assign_building(actor=user, membership=membership, building=building)
            messages.success(request, _("The building is theirs to look after."))
    except ValidationError as error:
        for problems in error.message_dict.values():
            messages.error(request, " ".join(problems))
    return redirect(back)


# --- Errands ------------------------------------------------------------------------------------


def _errands(user):
    return CareRequest.objects.restrict(user, "view").select_related(
        "person__household__dwelling__building", "grid", "kind", "assignee", "raised_by"
    )


def helper_choices(user, grid: Node | None) -> list[tuple[str, str]]:
    """The members of the team of ``grid`` (of every grid of mine: ``None``), by name."""
    rows = team.helpers_of(grid) if grid is not None else team.team_memberships(user)
    seen, choices = set(), []
    for membership in rows.order_by("role", "user__display_name", "user__username"):
        if membership.user_id in seen:
            continue
        seen.add(membership.user_id)
        choices.append(
            (str(membership.user_id), f"{membership.user.name} · {membership.get_role_display()}")
        )
    return choices


@login_required
def errand_list(request):
    """帮办代办: the errands of my places, the latest first; a helper's own."""
    user = request.user
    if not get_scope(user).has_perm("fieldwork.view_carerequest"):
        raise Http404
    rows = _errands(user)
    filterset = CareRequestFilter(request.GET or None, rows, request=request)
    filterset.form.fields["grid"].widget = place_filter_widget(user)
    filterset.form.fields["helper"].widget = forms.Select(
        choices=[("", _("Anyone")), *helper_choices(user, None)],
        attrs={**PICKER, "data-picker-label": _("Find a helper by name")},
    )
    if filterset.is_bound:
        rows = filterset.qs
    counts = {
        state: rows.filter(state=state).count()
        for state in (ErrandState.OPEN, ErrandState.ASSIGNED)
    }
    page = Paginator(rows.order_by("-raised_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "rows": [(errand, shown.person_name(errand, user)) for errand in page],
        "query": query.urlencode(),
        "open": counts[ErrandState.OPEN],
        "assigned": counts[ErrandState.ASSIGNED],
        "may_add": get_scope(user).has_perm("fieldwork.add_carerequest"),
        "export_kind": "care-requests" if "care-requests" in REGISTRY else "",
    }
    return render(request, "fieldwork/errand_list.html", context)


class ErrandForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    person = forms.ChoiceField(label=gettext_lazy("For whom"))
    kind = forms.ModelChoiceField(
        label=gettext_lazy("Kind of errand"),
        queryset=ErrandKind.objects.filter(is_active=True),
        to_field_name="code",
    )
    description = forms.CharField(
        label=gettext_lazy("What is needed"), widget=forms.Textarea(attrs={"rows": 3})
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Asked by"), choices=ErrandSource.choices, initial=ErrandSource.PERSON
    )
    wanted_by = forms.DateField(
        label=gettext_lazy("Wanted by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—"), *person_choices(user)]
        self.fields["person"].widget.attrs.update(
            {**PICKER, "data-picker-label": _("Find a person by name")}
        )


def person_choices(user) -> list[tuple[str, str]]:
    """The people of my places with a care tag, by name, with their grid and tags."""
    rows = (
        Person.objects.restrict(user, "view")
        .filter(tag_links__tag__is_active=True)
        .select_related("grid", "household")
        .prefetch_related("tag_links__tag")
        .distinct()
        .order_by("name", "id")[:2000]
    )
    return [
        (
            str(person.pk),
            f"{person.name} · {person.grid.name} · "
            + "、".join(link.tag.name for link in person.tag_links.all()),
        )
        for person in rows
    ]


@login_required
def errand_new(request):
    user = request.user
    if not get_scope(user).has_perm("fieldwork.add_carerequest"):
        raise Http404
    if request.method == "POST":
        form = ErrandForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            person = (
                Person.objects.restrict(user, "view").select_related("grid").get(pk=data["person"])
            )
            try:
                errand, _made = fieldwork.raise_errand(
                    actor=user,
                    person=person,
                    kind=data["kind"],
                    description=data["description"],
                    source=data["source"],
                    wanted_by=data["wanted_by"],
                    idempotency_key=f"console:{data['key']}" if data["key"] else None,
                )
            except ValidationError as error:
                _problems(form, error)
            else:
                messages.success(request, _("The errand is raised: give it to a helper."))
                return redirect("errand-detail", errand.pk)
        return render(request, "fieldwork/errand_new.html", {"form": form}, status=400)
    initial = {"key": uuid.uuid4().hex}
    if request.GET.get("person", "").isdigit():
        initial["person"] = request.GET["person"]
    return render(
        request, "fieldwork/errand_new.html", {"form": ErrandForm(initial=initial, user=user)}
    )


def errand_steps(errand: CareRequest) -> list[tuple]:
    """The errand's steps from its own record: (when, what, who, words)."""
    steps = [(errand.raised_at, _("Raised"), errand.raised_by, errand.description)]
    if errand.assigned_at:
        steps.append(
            (
                errand.assigned_at,
                _("Given to %(name)s")
                % {"name": errand.assignee.name if errand.assignee_id else "—"},
                errand.assigned_by,
                "",
            )
        )
    if errand.accepted_at and errand.accepted_at != errand.done_at:
        steps.append((errand.accepted_at, _("Accepted"), errand.assignee, ""))
    if errand.done_at:
        steps.append(
            (
                errand.done_at,
                _("Done in %(minutes)s minutes") % {"minutes": errand.minutes},
                errand.assignee,
                errand.done_note,
            )
        )
    if errand.rated_at:
        steps.append(
            (
                errand.rated_at,
                _("Rated %(rating)s of 5 (%(way)s)")
                % {"rating": errand.rating, "way": RatingWay(errand.rating_way).label},
                errand.rated_by,
                errand.rating_words,
            )
        )
    if errand.cancelled_at:
        steps.append((errand.cancelled_at, _("Cancelled"), None, errand.cancel_reason))
    return steps


def moves_for(user, errand: CareRequest) -> set[str]:
    """What ``user`` may do with the errand now."""
    scope = get_scope(user)
    path = errand.grid.path
    full = any(role not in team.HELPER_ROLES for role in scope.roles_at(path)) or scope.unrestricted
    moves = set()
    if errand.state in (ErrandState.OPEN, ErrandState.ASSIGNED):
        if scope.allows("fieldwork.assign_carerequest", path) and full:
            moves.add("assign")
        if scope.allows("fieldwork.cancel_carerequest", path) and full:
            moves.add("cancel")
    mine = errand.assignee_id == user.pk
    if errand.state == ErrandState.ASSIGNED and mine and not errand.accepted_at:
        moves.add("accept")
    if errand.state == ErrandState.ASSIGNED and (mine or full):
        moves.add("done")
    if errand.state == ErrandState.DONE and (mine or full):
        moves.add("rate")
    return moves


@login_required
def errand_detail(request, pk: int, forms_with_errors: dict | None = None, status: int = 200):
    user = request.user
    errand = get_object_or_404(_errands(user).select_related("rated_by", "assigned_by"), pk=pk)
    events = (
        AuditEvent.objects.restrict(user, "view")
        .filter(target_type="fieldwork.carerequest", target_id=str(errand.pk))
        .order_by("at", "id")
    )
    context = {
        "errand": errand,
        "person_name": shown.person_name(errand, user),
        "may_read_person": shown.may_read_person(user, errand),
        "address": shown.address(errand),
        "steps": errand_steps(errand),
        "events": list(events[:100]),
        "moves": moves_for(user, errand),
        "helpers": helper_choices(user, errand.grid),
        "ways": RatingWay.choices,
        "failed": forms_with_errors or {},
        "key": uuid.uuid4().hex,
        "picker": PICKER,
    }
    return render(request, "fieldwork/errand_detail.html", context, status=status)


def act(request, errand: CareRequest, action: str):
    """One move from a page's form: the service's refusal comes back as ``{field: words}``,
    what was typed kept."""
    user = request.user
    data = request.POST
    key = data.get("key") or None
    if action == "assign":
        value = data.get("helper", "")
        helper = User.objects.filter(pk=value, is_active=True).first() if value.isdigit() else None
        if helper is None:
            raise ValidationError({"helper": _("Pick a helper")})
        return fieldwork.assign_errand(
            actor=user, errand=errand, helper=helper, note=data.get("note", "")
        )
    if action == "accept":
        return fieldwork.accept_errand(actor=user, errand=errand)
    if action == "done":
        return fieldwork.record_errand_done(
            actor=user,
            errand=errand,
            minutes=data.get("minutes", ""),
            note=data.get("note", ""),
            photo=request.FILES.get("photo"),
            idempotency_key=f"errand-done:{key}" if key else None,
        )
    if action == "rate":
        return fieldwork.rate_errand(
            actor=user,
            errand=errand,
            rating=data.get("rating", ""),
            words=data.get("words", ""),
            way=data.get("way", ""),
            idempotency_key=f"errand-rate:{key}" if key else None,
        )
    if action == "cancel":
        return fieldwork.cancel_errand(actor=user, errand=errand, reason=data.get("reason", ""))
    raise Http404


ACTIONS = {"assign", "accept", "done", "rate", "cancel"}


@login_required
@require_POST
def errand_act(request, pk: int, action: str):
    if action not in ACTIONS:
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
        return errand_detail(request, pk, failed, status=400)
    messages.success(request, _("Saved."))
    return redirect("errand-detail", pk)
