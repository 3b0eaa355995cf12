from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import AuditFilter
from wangge.core.imports import REGISTRY
from wangge.core.models import AuditEvent
from wangge.core.presenters import ACTION_LABELS, present
from wangge.core.scope import get_scope, permission_name
from wangge.core.views import importable_kinds
from wangge.people.coverage import coverage
from wangge.people.models import CareTag, Household, Person, PersonTag
from wangge.territory.choices import COMMUNITY_KINDS, STREET_KINDS, NodeKind
from wangge.territory.models import Building, Dwelling, Node
from wangge.territory.pickers import place_picker

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


# --- The audit log ------------------------------------------------------------------------------


@login_required
def audit_list(request):
    events = AuditEvent.objects.restrict(request.user, "view")
    if not get_scope(request.user).has_perm("core.view_auditevent"):
        return render(request, "core/forbidden.html", status=404)
    filterset = audit_filterset(request, events)
    status = 200
    if filterset.is_bound and not filterset.is_valid():
        status, shown = 400, events.none()
    else:
        shown = filterset.qs
    page = Paginator(shown.select_related("node"), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/audit_list.html",
        {
            "filterset": filterset,
            "page": page,
            "query": query.urlencode(),
            "rows": present(list(page), request.user),
            "filtered": any(request.GET.get(key) for key in filterset.filters),
        },
        status=status,
    )


# What the audit log's "kind of object" offers: the things the services change.
AUDITED_ELSEWHERE = ["accounts.user", "accounts.membership", "accounts.apitoken", "core.savedview"]


def audited_kinds() -> list[tuple[str, str]]:
    """``(target_type, name)`` of every kind of object the audit log holds events of."""
    kinds = {
        model._meta.label_lower: str(model._meta.verbose_name)
        for model in apps.get_models()
        if model.__module__.startswith("wangge.")
        and hasattr(model, "scope_field")
        # Figures of another model (the cases' roll-ups) change with it, with no event.
        and not hasattr(model, "scope_permissions_of")
    }
    for label in AUDITED_ELSEWHERE:
        kinds[label] = str(apps.get_model(label)._meta.verbose_name)
    kinds.pop("core.auditevent", None)
    return sorted(kinds.items(), key=lambda item: item[1])


def audit_filterset(request, events) -> AuditFilter:
    """The audit log's filters as the page shows them: the action and the kind of object by
    name, the place from the caller's places, the days from a date picker. Who did it is
    found by name; the API's ``actor`` and ``target_id`` ride along hidden."""
    filterset = AuditFilter(request.GET or None, events, request=request)
    fields = filterset.form.fields
    actions = sorted(ACTION_LABELS.items(), key=lambda item: str(item[1]))
    fields["action"].widget = forms.Select(choices=[("", _("Any")), *actions])
    fields["target_type"].widget = forms.Select(choices=[("", _("Any")), *audited_kinds()])
    fields["node"].widget = place_picker(request.user)
    for name in ("actor", "target_id"):
        fields[name].widget = forms.HiddenInput()
    for name in ("who", "target"):
        fields[name].widget = forms.TextInput(attrs={"type": "search"})
    return filterset
