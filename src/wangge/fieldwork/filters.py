"""Filter sets of field work, shared by the API's lists, the pages and the exports."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.core.filters import (
    MomentOrDayFilter,
    NodeSubtreeFilter,
    UserRefFilter,
    YesNoFilter,
    day_filter,
    node_by_code_or_id,
)
from wangge.core.widgets import DayInput
from wangge.fieldwork import plans, team
from wangge.fieldwork.models import (
    Campaign,
    CampaignKind,
    CampaignState,
    CareRequest,
    Check,
    Checkpoint,
    CheckResult,
    Dispute,
    DisputeKind,
    DisputeSource,
    DisputeState,
    ErrandKind,
    ErrandState,
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


# --- Campaigns ---


class CampaignPlaceFilter(NodeSubtreeFilter):
    """``?node=`` a place (code or id): the campaigns held in it or below it, and those over
    it (a grid's campaign is its community's)."""

    def filter_subtree(self, queryset, name, value):
        from wangge.territory.models import Node

        if value in (None, ""):
            return queryset
        request = getattr(self.parent, "request", None)
        node = node_by_code_or_id(
            Node.objects.restrict(getattr(request, "user", None), "view"), value
        )
        if node is None:
            return queryset.none()
        above = [int(part) for part in node.path.strip("/").split("/")]
        return queryset.filter(Q(node__path__startswith=node.path) | Q(node_id__in=above))


class CampaignFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=CampaignState.choices, label=_("State"))
    kind = django_filters.ChoiceFilter(choices=CampaignKind.choices, label=_("Kind"))
    node = CampaignPlaceFilter(label=_("Place"))
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Title"))
    since = django_filters.DateFilter(
        field_name="ends_on", lookup_expr="gte", label=_("Until on or after"), widget=DayInput
    )

    class Meta:
        model = Campaign
        fields: list[str] = []


class CheckFilter(django_filters.FilterSet):
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("Campaign"))
    grid = NodeSubtreeFilter(label=_("Place"), node_field="grid")
    result = django_filters.ChoiceFilter(choices=CheckResult.choices, label=_("Result"))
    q = django_filters.CharFilter(method="filter_q", label=_("Building or place"))

    class Meta:
        model = Check
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(building__name__icontains=value)
            | Q(building__compound__icontains=value)
            | Q(place_name__icontains=value)
        )


# --- Team and errands ---------------------------------------------------------------------------


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
