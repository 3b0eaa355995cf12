"""The staff console's register (人房台账), the people half: households and residents, listed
and filtered as the API and the exports are, each on its own page.

ID and phone numbers are shown masked; the full value only on the answer to a reveal with a
stated purpose (audited by the service, never cached). Care tags only where the caller's role
may see them. Outside the caller's scope everything is a 404.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope
from wangge.people import services
from wangge.people.choices import DisabilityCategory, Relation
from wangge.people.filters import HouseholdFilter, PersonFilter
from wangge.people.models import Household, Person, PersonTag, Visit
from wangge.people.presenters import household_address, person_data
from wangge.territory.models import Building
from wangge.territory.views import (
    as_select,
    breadcrumbs,
    care_tag_choices,
    hide,
    household_heads,
    list_page,
    needs_registry,
    place_choices,
)

RECENT_VISITS = 10
# What a reveal may show (the service keeps the same list).
REVEALABLE = {"id_number": _("ID number"), "phone": _("Phone")}


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
        visits = (
            Visit.objects.restrict(user, "view")
            .filter(household=household)
            .select_related("visitor")
            .order_by("-visited_at")[:RECENT_VISITS]
        )
    dwelling = household.dwelling
    context = {
        "household": household,
        "address": household_address(household),
        "crumbs": _crumbs(user, household.grid, dwelling.building if dwelling else None),
        "members": [(person, person_data(person, user)) for person in members],
        "care": scope.allows("people.view_care_person", household.grid.path),
        "visits": visits,
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
