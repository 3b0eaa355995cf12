"""The staff console's register (人房台账), the places and buildings half: the caller's
places as a tree with what each holds, a place with its staff and buildings, and a building
with its units, dwellings and the households living there.

Everything is read through ``restrict``/``inside``; a place, building or household outside
the caller's scope is a 404. Counts are grouped queries added up the tree in Python, so a
page costs the same number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.core.scope import get_scope
from wangge.core.widgets import TreeChoices, TreeSelect
from wangge.people.choices import PersonStatus, Relation
from wangge.people.filters import HouseholdFilter, PersonFilter
from wangge.people.models import CareTag, Household, Person, PersonTag
from wangge.territory import pickers
from wangge.territory.filters import BuildingFilter, NodeFilter
from wangge.territory.models import Building, BuildingTag, Dwelling, Node

PAGE_SIZE = 50
SEARCH_SIZE = 10
# Who is shown as a place's staff: not the residents who help out.
NOT_STAFF = [Role.PARTY_MEMBER, Role.VOLUNTEER]


# --- Who may open what --------------------------------------------------------------------------


def can_open_registry(user) -> bool:
    """The register is for roles that see buildings or people (the navigation says the same)."""
    scope = get_scope(user)
    return scope.has_perm("territory.view_building") or scope.has_perm("people.view_person")


def needs_registry(user) -> None:
    if not can_open_registry(user):
        raise Http404


# --- Counts -------------------------------------------------------------------------------------


@dataclass
class Counts:
    buildings: int = 0
    households: int = 0
    persons: int = 0
    care: int = 0


@dataclass
class Shown:
    """Which counts the caller may see (a level they may not see is left out, not zero)."""

    buildings: bool
    households: bool
    persons: bool
    care: bool

    @classmethod
    def for_user(cls, user) -> Shown:
        scope = get_scope(user)
        return cls(
            buildings=scope.has_perm("territory.view_building"),
            households=scope.has_perm("people.view_household"),
            persons=scope.has_perm("people.view_person"),
            care=scope.has_perm("people.view_care_person"),
        )


def register_counts(user, nodes: list[Node], shown: Shown, within: Node | None = None) -> None:
    """Set ``node.counts`` on each of ``nodes``: the buildings, households, residents and
    residents with a care tag in its subtree, as far as ``user`` may see them. One grouped
    query per kind of thing, whatever the number of nodes."""
    grouped = {}
    queries = {
        "buildings": (
            shown.buildings,
            lambda: Building.objects.restrict(user, "view"),
            "grid__path",
            "id",
        ),
        "households": (
            shown.households,
            lambda: Household.objects.restrict(user, "view"),
            "grid__path",
            "id",
        ),
        "persons": (
            shown.persons,
            lambda: Person.objects.restrict(user, "view").filter(status=PersonStatus.ACTIVE),
            "grid__path",
            "id",
        ),
        "care": (
            shown.care,
            lambda: PersonTag.objects.restrict(user, "view_care").filter(
                person__status=PersonStatus.ACTIVE
            ),
            "person__grid__path",
            "person",
        ),
    }
    for key, (wanted, rows, path_field, counted) in queries.items():
        if not wanted:
            continue
        queryset = rows()
        if within is not None:
            queryset = queryset.filter(**{f"{path_field}__startswith": within.path})
        grouped[key] = (
            queryset.order_by()
            .values_list(path_field)
            .annotate(n=Count(counted, distinct=key == "care"))
        )
    by_id = {node.pk: node for node in nodes}
    for node in nodes:
        node.counts = Counts()
    for key, rows in grouped.items():
        for path, n in rows:
            for part in path.strip("/").split("/"):
                node = by_id.get(int(part))
                if node is not None:
                    setattr(node.counts, key, getattr(node.counts, key) + n)


# --- The tree of places -------------------------------------------------------------------------


@dataclass
class Row:
    node: Node
    level: int
    context: str = ""  # the names above a root, for where it lies
    children: list[Row] = field(default_factory=list)


def tree_rows(nodes: list[Node], names: dict[int, str]) -> list[Row]:
    """The nodes in depth-first order, siblings by code, each with its level below its root."""
    ids = {node.pk for node in nodes}
    children = defaultdict(list)
    roots = []
    for node in nodes:
        if node.parent_id in ids:
            children[node.parent_id].append(node)
        else:
            roots.append(node)
    rows: list[Row] = []

    def walk(node: Node, level: int) -> None:
        rows.append(Row(node=node, level=level))
        for child in sorted(children[node.pk], key=lambda n: n.code):
            walk(child, level + 1)

    for root in sorted(roots, key=lambda n: n.code):
        start = len(rows)
        walk(root, 0)
        rows[start].context = " / ".join(names[pk] for pk in root.ancestor_ids if pk in names)
    return rows


def ancestor_names(user, nodes) -> dict[int, str]:
    """The names of the nodes above ``nodes`` the user may see, in one query."""
    wanted = {pk for node in nodes for pk in node.ancestor_ids}
    return dict(Node.objects.restrict(user, "view").filter(pk__in=wanted).values_list("pk", "name"))


def places(user):
    """The active nodes of the caller's own subtrees, without their boundaries."""
    return Node.objects.inside(user).filter(is_active=True).defer("geometry")


def breadcrumbs(user, node: Node) -> list[Node]:
    """The places from the caller's own scope root down to ``node``'s parent: never above
    the caller's places, so never a parent's other children."""
    return list(places(user).filter(pk__in=node.ancestor_ids).order_by("depth"))


@login_required
def registry(request):
    """The caller's places as a tree with what each holds, and a search of the register."""
    user = request.user
    needs_registry(user)
    shown = Shown.for_user(user)
    nodes = list(places(user))
    register_counts(user, nodes, shown)
    rows = tree_rows(nodes, ancestor_names(user, [n for n in nodes if n.parent_id]))
    query = (request.GET.get("q") or "").strip()[:100]
    results = search(request, query, shown) if query else None
    context = {
        "rows": rows,
        "shown": shown,
        "query": query,
        "results": results,
        "nothing": results is not None and not any(found.count for found in results),
    }
    return render(request, "territory/registry.html", context)


@dataclass
class Found:
    kind: str
    label: str
    items: list
    count: int
    more: str  # the list holding all of them, or "" when there is none


def search(request, query: str, shown: Shown) -> list[Found]:
    """Places, buildings, households and persons matching ``query`` (name or number)."""
    user = request.user
    data = {"q": query}
    found = []
    nodes = NodeFilter(data, places(user)).qs
    found.append(Found("places", _("Places"), list(nodes[:SEARCH_SIZE]), nodes.count(), ""))
    if shown.buildings:
        buildings = BuildingFilter(
            data,
            Building.objects.restrict(user, "view").select_related("grid").defer("grid__geometry"),
            request=request,
        ).qs
        found.append(
            Found(
                "buildings",
                _("Buildings"),
                list(buildings[:SEARCH_SIZE]),
                buildings.count(),
                reverse("registry-buildings"),
            )
        )
    if shown.households:
        households = HouseholdFilter(
            data,
            Household.objects.restrict(user, "view")
            .select_related("grid", "dwelling__building", "dwelling__unit")
            .defer("grid__geometry"),
            request=request,
        ).qs
        found.append(
            Found(
                "households",
                pgettext_lazy("register", "Households"),
                list(households[:SEARCH_SIZE]),
                households.count(),
                reverse("registry-households"),
            )
        )
    if shown.persons:
        persons = PersonFilter(
            data,
            Person.objects.restrict(user, "view").select_related("grid").defer("grid__geometry"),
            request=request,
        ).qs
        found.append(
            Found(
                "persons",
                _("Residents"),
                list(persons[:SEARCH_SIZE]),
                persons.count(),
                reverse("registry-persons"),
            )
        )
    return found


# --- Lists: filters and paging shared with the people pages -------------------------------------


def place_choices(user) -> TreeChoices:
    """The caller's places for a "grid or division" select, as a tree searchable by name."""
    return pickers.place_choices(user)


def as_select(filterset, name: str, choices, label=None) -> None:
    """Show a filter that takes an id or a code as a select of what the caller may pick (a
    tree of places is searchable by name)."""
    form_field = filterset.form.fields[name]
    if isinstance(choices, TreeChoices):
        form_field.widget = TreeSelect(choices=choices, search_label=_("Find a place by name"))
    else:
        form_field.widget = forms.Select(choices=choices)
    if label is not None:
        form_field.label = label


def hide(filterset, *names: str) -> None:
    for name in names:
        if name in filterset.form.fields:
            filterset.form.fields[name].widget = forms.HiddenInput()


def list_page(request, filterset, ordering: tuple[str, ...]):
    """The page of the filtered rows, the query string without the page (for the pager and
    the exports) and the status: a filter value that makes no sense is a 400 with the form's
    message, never a crash."""
    for form_field in filterset.form.fields.values():
        if getattr(form_field, "empty_label", None) is not None:  # a choice: "all" not "----"
            choices = [choice for choice in form_field.choices if choice[0] != ""]
            form_field.empty_label = _("Any")
            form_field.choices = choices  # the field's iterator puts the empty choice first
    valid = filterset.is_valid()
    # Whether the caller chose a filter of the form (a place the page sets does not count).
    filterset.chosen = not valid or any(
        filterset.data.get(name)
        for name, form_field in filterset.form.fields.items()
        if not form_field.widget.is_hidden
    )
    rows = filterset.qs.order_by(*ordering)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = filterset.data.copy()  # a QueryDict: the views pass request.GET or a copy
    query.pop("page", None)
    for key in [key for key, value in query.lists() if not any(value)]:
        query.pop(key)
    return page, query.urlencode(), 200 if valid else 400


# --- Buildings ----------------------------------------------------------------------------------


def buildings_for(user):
    return (
        Building.objects.restrict(user, "view")
        .select_related("grid__parent")
        .defer("grid__geometry", "grid__parent__geometry")
        .prefetch_related("tags")
        .annotate(
            unit_count=Count("units", distinct=True),
            dwelling_count=Count("dwellings", distinct=True),
        )
    )


def building_filterset(request, data, *, place_select: bool = True):
    filterset = BuildingFilter(data, buildings_for(request.user), request=request)
    if place_select:
        as_select(filterset, "grid", place_choices(request.user))
    else:
        hide(filterset, "grid")
    as_select(
        filterset,
        "tag",
        [("", _("Any")), *BuildingTag.objects.values_list("code", "name")],
        label=_("Tag"),
    )
    return filterset


def with_household_counts(user, buildings, shown: Shown) -> None:
    """``households`` and ``persons`` on each building of a page: two grouped queries."""
    ids = [building.pk for building in buildings]
    households, persons = {}, {}
    if shown.households:
        households = dict(
            Household.objects.restrict(user, "view")
            .filter(dwelling__building__in=ids)
            .order_by()
            .values_list("dwelling__building")
            .annotate(n=Count("id"))
        )
    if shown.persons:
        persons = dict(
            Person.objects.restrict(user, "view")
            .filter(household__dwelling__building__in=ids, status=PersonStatus.ACTIVE)
            .order_by()
            .values_list("household__dwelling__building")
            .annotate(n=Count("id"))
        )
    for building in buildings:
        building.households = households.get(building.pk, 0)
        building.persons = persons.get(building.pk, 0)


def building_list_context(request, filterset, shown: Shown) -> tuple[dict, int]:
    page, query, status = list_page(request, filterset, ("grid__path", "compound", "name"))
    with_household_counts(request.user, list(page), shown)
    return {"filterset": filterset, "page": page, "query": query, "shown": shown}, status


@login_required
def building_list(request):
    """The buildings in scope, filtered as the API and the export are."""
    needs_registry(request.user)
    if not get_scope(request.user).has_perm("territory.view_building"):
        raise Http404
    filterset = building_filterset(request, request.GET)
    context, status = building_list_context(request, filterset, Shown.for_user(request.user))
    return render(request, "territory/building_list.html", context, status=status)


# --- A place ------------------------------------------------------------------------------------


@login_required
def node_detail(request, code: str):
    """A division or grid: where it lies, the places under it with what they hold, its staff,
    and its buildings."""
    user = request.user
    needs_registry(user)
    scope = get_scope(user)
    node = get_object_or_404(Node.objects.inside(user).defer("geometry"), code=code)
    shown = Shown.for_user(user)
    children = list(places(user).filter(parent=node).order_by("code"))
    register_counts(user, [node, *children], shown, within=node)
    context = {
        "node": node,
        "crumbs": breadcrumbs(user, node),
        "children": children,
        "shown": shown,
        "staff": None,
    }
    if scope.has_perm("accounts.view_membership"):
        context["staff"] = (
            Membership.objects.restrict(user, "view")
            .filter(node=node, is_active=True, user__is_active=True)
            .exclude(role__in=NOT_STAFF)
            .select_related("user")
            .order_by("role", "user__username")
        )
    status = 200
    if shown.buildings:
        data = request.GET.copy()
        data["grid"] = str(node.pk)
        filterset = building_filterset(request, data, place_select=False)
        buildings, status = building_list_context(request, filterset, shown)
        context["buildings"] = buildings
    return render(request, "territory/node_detail.html", context, status=status)


# --- A building ---------------------------------------------------------------------------------


@dataclass
class UnitRows:
    number: int | None
    dwellings: list = field(default_factory=list)


@login_required
def building_detail(request, pk: int):
    """A building: its units, their dwellings and the households living in each."""
    user = request.user
    needs_registry(user)
    building = get_object_or_404(
        Building.objects.restrict(user, "view").select_related("grid").prefetch_related("tags"),
        pk=pk,
    )
    shown = Shown.for_user(user)
    dwellings = list(
        Dwelling.objects.restrict(user, "view")
        .filter(building=building)
        .select_related("unit")
        .order_by("unit__number", "floor", "number")
    )
    households = defaultdict(list)
    if shown.households:
        found = list(
            Household.objects.restrict(user, "view")
            .filter(dwelling__building=building)
            .annotate(member_count=Count("members"))
            .order_by("number")
        )
        heads = household_heads(user, found)
        for household in found:
            household.head = heads.get(household.pk)
            households[household.dwelling_id].append(household)
    units: dict[int | None, UnitRows] = {}
    for dwelling in dwellings:
        number = dwelling.unit.number if dwelling.unit_id else None
        unit = units.setdefault(number, UnitRows(number))
        dwelling.found = households.get(dwelling.pk, [])
        unit.dwellings.append(dwelling)
    context = {
        "building": building,
        "crumbs": [*breadcrumbs(user, building.grid), building.grid],
        "may_add_household": shown.households
        and get_scope(user).allows("people.add_household", building.grid.path),
        "units": list(units.values()),
        "dwelling_count": len(dwellings),
        "household_count": sum(len(found) for found in households.values()),
        "shown": shown,
    }
    return render(request, "territory/building_detail.html", context)


def household_heads(user, households) -> dict[int, Person]:
    """The head of each household, as far as the caller may see persons: one query."""
    if not get_scope(user).has_perm("people.view_person"):
        return {}
    heads = (
        Person.objects.restrict(user, "view")
        .filter(household__in=[household.pk for household in households], relation=Relation.HEAD)
        .order_by("pk")
    )
    result = {}
    for person in heads:
        result.setdefault(person.household_id, person)
    return result


def care_tag_choices():
    return [("", _("Any")), *CareTag.objects.filter(is_active=True).values_list("code", "name")]
