"""Filter sets of field work, shared by the API's lists, the pages and the exports."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import MomentOrDayFilter, NodeSubtreeFilter, YesNoFilter
from wangge.fieldwork import plans
from wangge.fieldwork.models import (
    Checkpoint,
    Patrol,
    PatrolKind,
    PatrolState,
    PlanState,
    VisitPlan,
)
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


# --- Patrols ---


class PatrolFilter(django_filters.FilterSet):
    grid = NodeSubtreeFilter(label=_("Place"), node_field="grid")
    state = django_filters.MultipleChoiceFilter(choices=PatrolState.choices, label=_("State"))
    kind = django_filters.ChoiceFilter(choices=PatrolKind.choices, label=_("Kind"))
    member = django_filters.CharFilter(label=_("Member (name)"), method="filter_member")
    since = MomentOrDayFilter(label=_("From"), method="filter_since")
    until = MomentOrDayFilter(label=_("Until"), end=True, method="filter_until")

    class Meta:
        model = Patrol
        fields: list[str] = []

    def filter_member(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(members__display_name__icontains=value) | Q(members__username=value)
        ).distinct()

    @staticmethod
    def _moment(prefix: str, lookup: str, value) -> Q:
        # a patrol's day: when it started, or (planned, not yet started) its window's start
        return Q(**{f"started_at__{lookup}": value}) | Q(
            started_at__isnull=True, **{f"planned_start__{lookup}": value}
        )

    def filter_since(self, queryset, name, value):
        return queryset.filter(self._moment("", "gte", value)) if value else queryset

    def filter_until(self, queryset, name, value):
        return queryset.filter(self._moment("", "lt", value)) if value else queryset


class CheckpointFilter(django_filters.FilterSet):
    grid = NodeSubtreeFilter(label=_("Place"), node_field="grid")
    active = YesNoFilter(field_name="is_active", label=_("In use"))
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))

    class Meta:
        model = Checkpoint
        fields: list[str] = []
