from django.conf import settings
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Header, Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from wangge.core.api import Page, Presented, apply_filters
from wangge.core.errors import ValidationError
from wangge.core.filters import query_schema
from wangge.core.scope import get_scope
from wangge.people import services
from wangge.people.coverage import coverage
from wangge.people.filters import HouseholdFilter, PersonFilter, VisitFilter
from wangge.people.models import CareTag, Household, Person, PersonTag, Visit
from wangge.people.presenters import household_data, person_data
from wangge.people.schemas import (
    CareTagOut,
    CoverageOut,
    HouseholdDetail,
    HouseholdOut,
    PersonOut,
    PersonRevealIn,
    PersonRevealOut,
    VisitIn,
    VisitOut,
)
from wangge.territory.choices import GRID_KINDS, NodeKind
from wangge.territory.models import Node

router = Router(tags=["people"])

HouseholdQuery = query_schema(HouseholdFilter, "HouseholdQuery")
PersonQuery = query_schema(PersonFilter, "PersonQuery")
VisitQuery = query_schema(VisitFilter, "VisitQuery")


def _households(request):
    return (
        Household.objects.restrict(request.user, "view")
        .select_related("grid", "dwelling__building", "dwelling__unit")
        .annotate(member_count=Count("members"))
    )


def _persons(request, action="view"):
    # Care tags come only where the caller may see them; the presenter says null elsewhere.
    tags = PersonTag.objects.restrict(request.user, "view_care").select_related("tag")
    return (
        Person.objects.restrict(request.user, action)
        .select_related("grid")
        .prefetch_related(Prefetch("tag_links", queryset=tags))
    )


@router.get("/care-tags", response=list[CareTagOut])
def list_care_tags(request):
    """The editable list of care tags (独居老人, 残疾人 …)."""
    return CareTag.objects.filter(is_active=True)


@router.get("/households", response=list[HouseholdOut])
@paginate(Page)
def list_households(request, filters: Query[HouseholdQuery]):
    households = apply_filters(HouseholdFilter, filters, _households(request), request)
    return Presented(households, household_data)


@router.get("/households/{household_id}", response=HouseholdDetail)
def get_household(request, household_id: int):
    household = get_object_or_404(_households(request), pk=household_id)
    people = _persons(request).filter(household=household)
    return {
        **household_data(household),
        "grid": household.grid,
        "people": [person_data(person, request.user) for person in people],
    }


@router.get("/persons", response=list[PersonOut])
@paginate(Page)
def list_persons(request, filters: Query[PersonQuery]):
    """Persons in scope. Filtering by ``care_tag`` covers only the grids where the caller
    may see care tags."""
    base = _persons(request, "view_care" if filters.care_tag else "view")
    persons = apply_filters(PersonFilter, filters, base, request)
    return Presented(persons, lambda person: person_data(person, request.user))


@router.get("/persons/{person_id}", response=PersonOut)
def get_person(request, person_id: int):
    return person_data(get_object_or_404(_persons(request), pk=person_id), request.user)


@router.post("/persons/{person_id}/reveal", response=PersonRevealOut)
def reveal(request, person_id: int, payload: PersonRevealIn):
    """The full ID or phone number, for a stated purpose that goes into the audit log."""
    person = get_object_or_404(_persons(request), pk=person_id)
    value = services.reveal(
        actor=request.user, person=person, field=payload.field, purpose=payload.purpose
    )
    return {"person_id": person.pk, "field": payload.field, "value": value}


@router.get("/visits", response=list[VisitOut])
@paginate(Page)
def list_visits(request, filters: Query[VisitQuery]):
    visits = Visit.objects.restrict(request.user, "view")
    return apply_filters(VisitFilter, filters, visits, request)


@router.post("/visits", response={201: VisitOut})
def create_visit(
    request, payload: VisitIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
):
    """Record a home visit. A retry with the same ``Idempotency-Key`` gets the same answer
    (the first visit), and no second visit is recorded."""
    household = get_object_or_404(
        Household.objects.restrict(request.user, "view"), pk=payload.household_id
    )
    case = None
    if payload.case:
        from wangge.cases.models import Case

        case = Case.objects.restrict(request.user, "view").filter(number=payload.case).first()
        if case is None:
            raise ValidationError({"case": gettext("No case with this number that you can see")})
    visit = services.record_visit(
        actor=request.user,
        household=household,
        kind=payload.kind,
        visited_at=payload.visited_at,
        notes=payload.notes,
        lng=payload.lng,
        lat=payload.lat,
        case=case,
        idempotency_key=idempotency_key,
    )
    return Status(201, visit)


@router.get("/coverage", response=list[CoverageOut])
def get_coverage(request, node: int | None = None, days: int | None = None):
    """Per grid under ``node`` (default: the caller's grids): dwellings with a registered
    household, and households visited within ``days`` (default 90)."""
    days = settings.WANGGE_VISIT_WINDOW_DAYS if days is None else days
    if not 1 <= days <= 3650:
        raise HttpError(400, gettext("days must be from 1 to 3650"))
    if not get_scope(request.user).has_perm("people.view_household"):
        raise Http404
    # Rows are nodes inside the caller's scope: an ancestor shown for context would be a
    # row whose numbers cover only the caller's part of it.
    inside = Node.objects.inside(request.user)
    if node is not None:
        parent = get_object_or_404(inside, pk=node)
        below = inside.filter(path__startswith=parent.path, kind__in=GRID_KINDS)
        if parent.kind not in GRID_KINDS:
            below = below.exclude(kind=NodeKind.MICRO_GRID)
        nodes = [parent, *below.exclude(pk=parent.pk).order_by("code")]
    else:
        grids = list(inside.filter(kind__in=GRID_KINDS).order_by("code"))
        ids = {grid.pk for grid in grids}
        # A micro-grid is its own row only when its grid is not one already.
        nodes = [grid for grid in grids if grid.parent_id not in ids]
    return [
        {
            "node": row.node,
            "days": row.days,
            "dwellings": row.dwellings,
            "dwellings_registered": row.dwellings_registered,
            "dwelling_rate": row.dwelling_rate,
            "households": row.households,
            "households_visited": row.households_visited,
            "visit_rate": row.visit_rate,
            "persons": row.persons,
        }
        for row in coverage(request.user, nodes, days=days)
    ]
