"""Filter sets of field work, shared by the API's lists, the pages and the exports."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import NodeSubtreeFilter, day_filter
from wangge.fieldwork import plans
from wangge.fieldwork.models import (
    Dispute,
    DisputeKind,
    DisputeSource,
    DisputeState,
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


# --- Disputes ---


class DisputeFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=DisputeState.choices, label=_("State"))
    kind = django_filters.ModelChoiceFilter(
        queryset=DisputeKind.objects.filter(is_active=True),
        to_field_name="code",
        label=_("Kind"),
    )
    grid = NodeSubtreeFilter(label=_("Place"), node_field="grid")
    source = django_filters.ChoiceFilter(choices=DisputeSource.choices, label=_("Source"))
    mediator = django_filters.CharFilter(method="filter_mediator", label=_("Mediator (name)"))
    since = day_filter("received_at", label=_("Taken in from"))
    until = day_filter("received_at", label=_("Taken in until"), until=True)
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Title"))

    class Meta:
        model = Dispute
        fields: list[str] = []

    def filter_mediator(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        condition = (
            Q(mediators__display_name__icontains=value)
            | Q(mediators__first_name__icontains=value)
            | Q(mediators__last_name__icontains=value)
            | Q(mediators__username=value)
        )
        return queryset.filter(pk__in=Dispute.objects.filter(condition).values("pk"))
