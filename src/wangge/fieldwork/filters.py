"""Filter sets of field work, shared by the API's lists, the pages and the exports."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import NodeSubtreeFilter
from wangge.fieldwork import plans
from wangge.fieldwork.models import PlanState, VisitPlan
from wangge.people.models import CareTag


class VisitPlanFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=PlanState.choices, label=_("State"), method="filter_state"
    )
    due = django_filters.BooleanFilter(label=_("Due or overdue today"), method="filter_due")
    grid = NodeSubtreeFilter(label=_("Place"), node_field="person__grid")
    tag = django_filters.ModelChoiceFilter(
        queryset=CareTag.objects.filter(is_active=True),
        to_field_name="code",
        label=_("Care tag"),
        method="filter_tag",
    )
    q = django_filters.CharFilter(
        field_name="person__name", lookup_expr="icontains", label=_("Name")
    )

    class Meta:
        model = VisitPlan
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        if not value:
            return queryset
        day = plans.today()
        condition = plans.state_q(value[0], day)
        for state in value[1:]:
            condition |= plans.state_q(state, day)
        return queryset.filter(condition)

    def filter_due(self, queryset, name, value):
        if value is None:
            return queryset
        condition = plans.due_q(plans.today())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_tag(self, queryset, name, value):
        # A person with the tag, whichever tag set their plan.
        return queryset.filter(person__tag_links__tag=value).distinct() if value else queryset


# --- Team and errands ---------------------------------------------------------------------------

from wangge.accounts.choices import Role  # noqa: E402
from wangge.accounts.models import Membership  # noqa: E402
from wangge.core.filters import UserRefFilter, node_by_code_or_id  # noqa: E402
from wangge.fieldwork import team  # noqa: E402
from wangge.fieldwork.models import CareRequest, ErrandKind, ErrandState  # noqa: E402

TEAM_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in team.TEAM_ROLES]


def _places_named(request, value: str):
    """The places a user may see with this code or id, or else this name (第1网格 is in every
    community: a community's staff find theirs by name)."""
    from wangge.territory.models import Node

    user = getattr(request, "user", None)
    nodes = Node.objects.restrict(user, "view")
    found = node_by_code_or_id(nodes, value)
    if found is not None:
        return [found]
    return list(nodes.filter(name=value).defer("geometry")[:50])


class CareRequestFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ErrandState.choices, label=_("State"))
    grid = NodeSubtreeFilter(label=_("Place"), node_field="grid")
    kind = django_filters.ModelChoiceFilter(
        queryset=ErrandKind.objects.filter(is_active=True),
        to_field_name="code",
        label=_("Kind of errand"),
    )
    helper = UserRefFilter(field_name="assignee", label=_("Helper"))
    q = django_filters.CharFilter(
        field_name="person__name", lookup_expr="icontains", label=_("Person's name")
    )

    class Meta:
        model = CareRequest
        fields: list[str] = []


class TeamFilter(django_filters.FilterSet):
    """The members of grid teams: ``grid`` (a grid's code, id or name: its team, those on
    the community above it included), ``role``, ``q`` (a name)."""

    grid = django_filters.CharFilter(method="filter_grid", label=_("Grid"))
    role = django_filters.ChoiceFilter(choices=TEAM_ROLE_CHOICES, label=_("Role"))
    q = django_filters.CharFilter(
        field_name="user__display_name", lookup_expr="icontains", label=_("Name")
    )

    class Meta:
        model = Membership
        fields: list[str] = []

    def filter_grid(self, queryset, name, value):
        if not value:
            return queryset
        places = _places_named(getattr(self, "request", None), value.strip()[:64])
        if not places:
            return queryset.none()
        condition = team.team_q(places[0])
        for place in places[1:]:
            condition |= team.team_q(place)
        return queryset.filter(condition)
