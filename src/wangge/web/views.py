from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from wangge.core.imports import REGISTRY
from wangge.core.scope import get_scope, permission_name
from wangge.core.views import importable_kinds
from wangge.people.coverage import coverage
from wangge.people.models import CareTag, Household, Person, PersonTag
from wangge.territory.choices import COMMUNITY_KINDS, STREET_KINDS, NodeKind
from wangge.territory.models import Building, Dwelling, Node

# Above this many grids the coverage table shows communities, each opening its grids.
GRID_ROWS_AT_MOST = 12
BASIC_GRIDS = [NodeKind.GRID, NodeKind.DEDICATED_GRID]


@login_required
def home(request):
    """What lies in the user's scope: their places, the register's size, its coverage."""
    user = request.user
    scope = get_scope(user)
    memberships = list(
        user.memberships.filter(is_active=True).select_related("node").order_by("node__path")
    )
    ancestors = Node.objects.restrict(user, "view").in_bulk(
        {pk for membership in memberships for pk in membership.node.ancestor_ids}
    )
    for membership in memberships:
        membership.place = " / ".join(
            [ancestors[pk].name for pk in membership.node.ancestor_ids if pk in ancestors]
            + [membership.node.name]
        )
    inside = Node.objects.inside(user)
    can_see_people = scope.has_perm("people.view_household")
    context = {
        "memberships": memberships,
        "counts": _counts(user, scope, inside, can_see_people),
        "care": _care(user, scope),
        "exports": [
            importer
            for importer in REGISTRY.values()
            if scope.has_perm(permission_name(importer.model, "view"))
        ],
        "imports": importable_kinds(user),
        "can_audit": scope.has_perm("core.view_auditevent"),
        "days": settings.WANGGE_VISIT_WINDOW_DAYS,
    }
    if scope.has_perm("cases.view_case"):
        from wangge.cases.views import queue_counts

        context["queues"] = queue_counts(user)
    if scope.has_perm("notices.approve_notice"):
        from wangge.notices.views import awaiting_review

        context["approvals"] = awaiting_review(user)
    if can_see_people:
        context.update(_coverage_table(request, user, inside))
    return render(request, "web/home.html", context)


def _counts(user, scope, inside, can_see_people):
    """The size of what the user may see; levels they cannot see are left out, not zero."""
    kinds = dict(inside.values_list("kind").annotate(n=Count("id")))
    grids = sum(kinds.get(kind, 0) for kind in BASIC_GRIDS)
    counts = [
        (_("Streets"), sum(kinds.get(k, 0) for k in STREET_KINDS)),
        (_("Communities"), sum(kinds.get(k, 0) for k in COMMUNITY_KINDS)),
        (_("Grids"), grids),
    ]
    counts = [(label, value) for label, value in counts if value]
    if scope.has_perm("territory.view_building"):
        counts += [
            (_("Buildings"), Building.objects.restrict(user, "view").count()),
            (_("Dwellings"), Dwelling.objects.restrict(user, "view").count()),
        ]
    if can_see_people:
        counts += [
            (_("Households"), Household.objects.restrict(user, "view").count()),
            (
                _("Residents"),
                Person.objects.restrict(user, "view").filter(status="active").count(),
            ),
        ]
    return counts


def _care(user, scope):
    if not scope.has_perm("people.view_care_person"):
        return []
    tagged = dict(
        PersonTag.objects.restrict(user, "view_care")
        .filter(person__status="active")
        .values_list("tag")
        .annotate(n=Count("person", distinct=True))
    )
    return [(tag, tagged.get(tag.pk, 0)) for tag in CareTag.objects.filter(is_active=True)]


def _coverage_table(request, user, inside):
    """Coverage rows: the grids, or the communities when there are many grids; ``?node=``
    opens one community (or street) of the user's scope."""
    parent = None
    if request.GET.get("node", "").isdigit():
        parent = get_object_or_404(inside, pk=int(request.GET["node"]))
    within = inside.filter(path__startswith=parent.path) if parent else inside
    grids = within.filter(kind__in=BASIC_GRIDS)
    many = parent is None and grids.count() > GRID_ROWS_AT_MOST
    if many or (parent is not None and parent.kind in STREET_KINDS):
        rows_of, level = within.filter(kind__in=COMMUNITY_KINDS), "community"
    else:
        rows_of, level = grids, "grid"
    nodes = list(rows_of.order_by("code"))
    rows = coverage(user, nodes, days=settings.WANGGE_VISIT_WINDOW_DAYS)
    parents = Node.objects.restrict(user, "view").in_bulk({node.parent_id for node in nodes})
    for row in rows:
        row.parent = parents.get(row.node.parent_id)
    return {
        "coverage_rows": rows,
        "coverage_level": level,
        "coverage_parent": parent,
        "coverage_total": coverage(user, [parent], days=settings.WANGGE_VISIT_WINDOW_DAYS)[0]
        if parent
        else None,
    }
