"""The staff console's register (人房台账), the people half: households and residents, listed
and filtered as the API and the exports are, each on its own page.

ID and phone numbers are shown masked; the full value only on the answer to a reveal with a
stated purpose (audited by the service, never cached). Care tags only where the caller's role
may see them. Outside the caller's scope everything is a 404.
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope
from wangge.core.services import allowed
from wangge.people import services
from wangge.people.choices import DisabilityCategory, Relation
from wangge.people.filters import HouseholdFilter, PersonFilter
from wangge.people.forms import HouseholdForm, PersonForm, VisitForm
from wangge.people.models import CareTag, Household, Person, PersonTag, Visit
from wangge.people.presenters import household_address, person_data
from wangge.people.registry_views import (
    as_select,
    breadcrumbs,
    care_tag_choices,
    hide,
    household_heads,
    list_page,
    needs_registry,
    place_choices,
)
from wangge.territory.models import Building, Dwelling

RECENT_VISITS = 10
# What a reveal may show (the service keeps the same list).
REVEALABLE = {"id_number": gettext_lazy("ID number"), "phone": gettext_lazy("Phone")}


def _needs(user, perm: str) -> None:
    needs_registry(user)
    if not get_scope(user).has_perm(perm):
        raise Http404


def households_for(user):
    return (
        Household.objects.restrict(user, "view")
        .select_related("grid__parent", "dwelling__building", "dwelling__unit")
        .defer("grid__geometry", "grid__parent__geometry")
        .annotate(member_count=Count("members"))
    )


def persons_for(user, action: str = "view"):
    # Care tags come only where the caller may see them (as in the API).
    tags = PersonTag.objects.restrict(user, "view_care").select_related("tag")
    return (
        Person.objects.restrict(user, action)
        .select_related("grid__parent", "household")
        .defer("grid__geometry", "grid__parent__geometry")
        .prefetch_related(Prefetch("tag_links", queryset=tags))
    )


# --- Households ---------------------------------------------------------------------------------


@login_required
def household_list(request):
    user = request.user
    _needs(user, "people.view_household")
    filterset = HouseholdFilter(request.GET, households_for(user), request=request)
    as_select(filterset, "grid", place_choices(user))
    hide(filterset, "building")
    page, query, status = list_page(request, filterset, ("grid__path", "number"))
    households = list(page)
    heads = household_heads(user, households)
    for household in households:
        household.head = heads.get(household.pk)
        household.address = household_address(household)
    building = None
    if filterset.is_valid() and filterset.form.cleaned_data.get("building"):
        building = (
            Building.objects.restrict(user, "view")
            .filter(pk=filterset.form.cleaned_data["building"])
            .first()
        )
    context = {
        "filterset": filterset,
        "page": page,
        "query": query,
        "rows": households,
        "building": building,
    }
    return render(request, "people/household_list.html", context, status=status)


@login_required
def household_detail(request, pk: int):
    """A household: where it lives, its members (masked), their care tags where allowed, and
    its recent visits."""
    user = request.user
    _needs(user, "people.view_household")
    scope = get_scope(user)
    household = get_object_or_404(
        households_for(user).select_related("dwelling__building__grid"), pk=pk
    )
    members = []
    if scope.has_perm("people.view_person"):
        members = sorted(
            persons_for(user).filter(household=household),
            key=lambda person: (
                person.relation != Relation.HEAD,
                person.birth_date or datetime.date.max,
                person.pk,
            ),
        )
    visits = None
    if scope.has_perm("people.view_visit"):
        visits = list(
            Visit.objects.restrict(user, "view")
            .filter(household=household)
            .select_related("visitor", "case__grid")
            .order_by("-visited_at")[:RECENT_VISITS]
        )
        for visit in visits:
            case = visit.case
            visit.case_shown = case is not None and allowed(
                user, type(case), "view", path=case.grid.path
            )
    dwelling = household.dwelling
    path = household.grid.path
    may_change_person = scope.allows("people.change_person", path)
    context = {
        "household": household,
        "address": household_address(household),
        "crumbs": _crumbs(user, household.grid, dwelling.building if dwelling else None),
        "members": [(person, person_data(person, user)) for person in members],
        "care": scope.allows("people.view_care_person", path),
        "visits": visits,
        "may_change": scope.allows("people.change_household", path),
        "may_add_person": scope.allows("people.add_person", path),
        "may_change_person": may_change_person,
        "may_visit": scope.allows("people.add_visit", path),
    }
    return render(request, "people/household_detail.html", context)


def _crumbs(user, grid, building=None) -> list:
    """Breadcrumbs from the caller's own places down to the grid (and building)."""
    crumbs = [*breadcrumbs(user, grid), grid]
    if building is not None and get_scope(user).allows(
        "territory.view_building", building.grid.path
    ):
        crumbs.append(building)
    return crumbs


# --- Persons ------------------------------------------------------------------------------------


@login_required
def person_list(request):
    """Residents. The care tag filter is offered only where the caller may see care tags; it
    counts only the grids where they may (the base is ``restrict(user, "view_care")``)."""
    user = request.user
    _needs(user, "people.view_person")
    scope = get_scope(user)
    care = scope.has_perm("people.view_care_person")
    base = persons_for(user, "view_care" if request.GET.get("care_tag") else "view")
    filterset = PersonFilter(request.GET, base, request=request)
    as_select(filterset, "grid", place_choices(user))
    hide(filterset, "household")
    if care:
        as_select(filterset, "care_tag", care_tag_choices(), label=_("Care tag"))
    else:
        del filterset.form.fields["care_tag"]
    page, query, status = list_page(request, filterset, ("grid__path", "household__number", "id"))
    if not care:
        query = _without(query, "care_tag")
    rows = [(person, person_data(person, user)) for person in page]
    context = {"filterset": filterset, "page": page, "query": query, "rows": rows, "care": care}
    return render(request, "people/person_list.html", context, status=status)


def _without(query: str, key: str) -> str:
    params = QueryDict(query, mutable=True)
    params.pop(key, None)
    return params.urlencode()


def _person_context(request, person: Person) -> dict:
    user = request.user
    scope = get_scope(user)
    data = person_data(person, user)
    household = person.household
    building = None
    if household is not None and household.dwelling_id:
        building = household.dwelling.building
    disability = dict(DisabilityCategory.choices)
    for tag in data["care_tags"] or []:
        tag["disability_category_label"] = disability.get(tag["disability_category"], "")
    return {
        "person": person,
        "data": data,
        "address": household_address(household) if household else "",
        "crumbs": _crumbs(user, person.grid, building),
        "can_reveal": scope.allows("people.reveal_person", person.grid.path),
        "can_change": scope.allows("people.change_person", person.grid.path),
        "revealable": list(REVEALABLE.items()),
        "revealed": None,
        "errors": {},
        "given": {},
    }


def _person(request, pk: int) -> Person:
    return get_object_or_404(
        persons_for(request.user).select_related(
            "household__dwelling__building__grid", "household__dwelling__unit"
        ),
        pk=pk,
    )


@login_required
def person_detail(request, pk: int):
    """A resident, with the ID and phone numbers masked and, where the role may, a form to
    reveal one of them for a stated purpose."""
    _needs(request.user, "people.view_person")
    context = _person_context(request, _person(request, pk))
    return render(request, "people/person_detail.html", context)


@never_cache
@login_required
@require_POST
def person_reveal(request, pk: int):
    """Reveal an ID or phone number for a stated purpose: audited by the service, shown on
    this answer only."""
    user = request.user
    _needs(user, "people.view_person")
    person = _person(request, pk)
    context = _person_context(request, person)
    if not context["can_reveal"]:
        raise Http404
    field = request.POST.get("field", "")
    purpose = request.POST.get("purpose", "")
    context["given"] = {"field": field, "purpose": purpose}
    try:
        value = services.reveal(actor=user, person=person, field=field, purpose=purpose)
    except ValidationError as exc:
        context["errors"] = {key: " ".join(messages) for key, messages in exc.message_dict.items()}
        return render(request, "people/person_detail.html", context, status=400)
    context["revealed"] = {"field": field, "label": REVEALABLE[field], "value": value}
    return render(request, "people/person_detail.html", context)


# --- Writing the register by hand ---------------------------------------------------------------
# Each page reads what it changes through ``restrict`` (a 404 outside the caller's places or
# without the right), writes through the services (scope, audit) and, refused, shows the form
# again with what was typed and the problem on its field (a 400).


def _may(user, model, action: str, path: str) -> None:
    if not allowed(user, model, action, path=path):
        raise Http404


def _key(form) -> str | None:
    key = (form.cleaned_data.get("key") or "").strip()
    return f"console:{key}" if key else None


def _dwellings(user, building):
    dwellings = list(
        Dwelling.objects.restrict(user, "view")
        .filter(building=building)
        .select_related("unit")
        .order_by("unit__number", "floor", "number")
    )
    counts = dict(
        Household.objects.restrict(user, "view")
        .filter(dwelling__building=building)
        .order_by()
        .values_list("dwelling")
        .annotate(n=Count("id"))
    )
    return dwellings, counts


@login_required
def household_new(request, building_pk: int):
    """Register a household in a dwelling of a building, picked from its units by name."""
    user = request.user
    _needs(user, "people.add_household")
    building = get_object_or_404(
        Building.objects.restrict(user, "view").select_related("grid"), pk=building_pk
    )
    _may(user, Household, "add", building.grid.path)
    dwellings, counts = _dwellings(user, building)
    form = HouseholdForm(request.POST or None, dwellings=dwellings, households_in=counts)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                household = services.create_household(
                    actor=user,
                    dwelling=data["dwelling"],
                    residence_type=data["residence_type"],
                    note=data["note"],
                    idempotency_key=_key(form),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Household %(number)s is registered. Add its members now.")
                    % {"number": household.number},
                )
                return redirect("registry-household", pk=household.pk)
    else:
        form.initial["key"] = uuid.uuid4().hex
        if request.GET.get("dwelling") in form.dwellings:
            form.initial["dwelling"] = request.GET["dwelling"]
    context = {
        "form": form,
        "building": building,
        "crumbs": [*breadcrumbs(user, building.grid), building.grid, building],
    }
    return render(request, "people/household_form.html", context, status=status)


@login_required
def household_edit(request, pk: int):
    """Change a household: its dwelling (within its building), how it lives here, its note."""
    user = request.user
    _needs(user, "people.change_household")
    household = get_object_or_404(
        Household.objects.restrict(user, "change").select_related(
            "grid", "dwelling__building__grid", "dwelling__unit"
        ),
        pk=pk,
    )
    building = household.dwelling.building if household.dwelling_id else None
    dwellings, counts = _dwellings(user, building) if building else ([], {})
    initial = {
        "dwelling": str(household.dwelling_id or ""),
        "residence_type": household.residence_type,
        "note": household.note,
    }
    form = HouseholdForm(
        request.POST or None, initial=initial, dwellings=dwellings, households_in=counts
    )
    if building is None:
        del form.fields["dwelling"]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changes = {
                key: form.cleaned_data[key]
                for key in ("dwelling", "residence_type", "note")
                if key in form.fields
            }
            try:
                services.update_household(actor=user, household=household, **changes)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("registry-household", pk=household.pk)
    context = {
        "form": form,
        "household": household,
        "building": building,
        "crumbs": _crumbs(user, household.grid, building),
    }
    return render(request, "people/household_form.html", context, status=status)


def _care_tags(user, grid):
    """The care tags the caller may set on a person of ``grid`` (``None``: none may be)."""
    if not get_scope(user).allows("people.view_care_person", grid.path):
        return None
    return list(CareTag.objects.filter(is_active=True))


@login_required
def person_new(request, household_pk: int):
    """Add a person to a household."""
    user = request.user
    _needs(user, "people.add_person")
    household = get_object_or_404(
        Household.objects.restrict(user, "view").select_related(
            "grid", "dwelling__building__grid", "dwelling__unit"
        ),
        pk=household_pk,
    )
    _may(user, Person, "add", household.grid.path)
    form = PersonForm(request.POST or None, tags=_care_tags(user, household.grid))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = services.create_person(
                    actor=user,
                    household=household,
                    name=data["name"],
                    relation=data["relation"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    sex=data["sex"],
                    birth_date=data["birth_date"],
                    note=data["note"],
                    care_tags=form.care_specs() if "care_tags" in form.fields else (),
                    idempotency_key=_key(form),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, _("%(name)s is in the household.") % {"name": person.name}
                )
                return redirect("registry-household", pk=household.pk)
    else:
        form.initial["key"] = uuid.uuid4().hex
    context = {
        "form": form,
        "household": household,
        "person": None,
        "crumbs": _crumbs(user, household.grid, _building(household)),
    }
    return render(request, "people/person_form.html", context, status=status)


def _building(household):
    return household.dwelling.building if household and household.dwelling_id else None


@login_required
def person_edit(request, pk: int):
    """Change a person. The ID and phone numbers stay masked: typed anew to change them."""
    user = request.user
    _needs(user, "people.change_person")
    person = get_object_or_404(
        persons_for(user, "change").select_related(
            "household__dwelling__building__grid", "household__dwelling__unit"
        ),
        pk=pk,
    )
    tags = _care_tags(user, person.grid)
    links = list(person.tag_links.all()) if tags is not None else []
    disability = next((link for link in links if link.tag.has_disability_detail), None)
    initial = {
        "relation": person.relation,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "status": person.status,
        "note": person.note,
        "care_tags": [link.tag.code for link in links],
        "disability_category": disability.disability_category if disability else "",
        "disability_grade": str(disability.disability_grade or "") if disability else "",
    }
    form = PersonForm(request.POST or None, initial=initial, tags=tags, person=person)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                key: data[key]
                for key in ("relation", "name", "sex", "birth_date", "status", "note")
            }
            if data["id_number"]:
                changes["id_number"] = data["id_number"]
            if data["phone"]:
                changes["phone"] = data["phone"]
            elif data.get("clear_phone"):
                changes["phone"] = ""
            try:
                with transaction.atomic():
                    services.update_person(actor=user, person=person, **changes)
                    if tags is not None:
                        specs = form.care_specs()
                        if sorted(map(services.tag_label, specs)) != sorted(
                            map(services.tag_label, links)
                        ):
                            services.set_care_tags(actor=user, person=person, tags=specs)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("registry-person", pk=person.pk)
    context = {
        "form": form,
        "household": person.household,
        "person": person,
        "crumbs": _crumbs(user, person.grid, _building(person.household)),
    }
    return render(request, "people/person_form.html", context, status=status)


def visit_form(request, household, *, template: str, done, context=None):
    """The visit form, on the console and on the phone: shown, or sent and recorded (then
    ``done(visit)`` answers), or refused and shown again with what was typed."""
    from wangge.cases.households import household_cases

    user = request.user
    _may(user, Visit, "add", household.grid.path)
    cases = household_cases(user, household)
    form = VisitForm(request.POST or None, cases=cases)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = services.record_visit(
                    actor=user,
                    household=household,
                    kind=data["kind"],
                    visited_at=form.visited_at(),
                    notes=data["notes"],
                    lng=data["lng"],
                    lat=data["lat"],
                    case=data["case"],
                    idempotency_key=f"visit:{data['key']}" if data.get("key") else None,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The visit is recorded."))
                return done(visit)
    else:
        form.initial["key"] = uuid.uuid4().hex
    context = {
        "form": form,
        "household": household,
        "address": household_address(household),
        **(context or {}),
    }
    return render(request, template, context, status=status)


@login_required
def visit_new(request, household_pk: int):
    """Record a visit to a household from its page."""
    _needs(request.user, "people.add_visit")
    household = get_object_or_404(
        households_for(request.user).select_related("dwelling__building__grid"), pk=household_pk
    )
    return visit_form(
        request,
        household,
        template="people/visit_form.html",
        done=lambda visit: redirect("registry-household", pk=household.pk),
        context={"crumbs": _crumbs(request.user, household.grid, _building(household))},
    )
