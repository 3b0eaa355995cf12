import datetime

import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import NodeSubtreeFilter
from wangge.people.choices import PersonStatus, ResidenceType, Sex, VisitKind
from wangge.people.models import Household, Person, Visit


def _years_ago(years: int) -> datetime.date:
    today = datetime.date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class HouseholdFilter(django_filters.FilterSet):
    grid = NodeSubtreeFilter(label=_("Grid or division"))
    building = django_filters.NumberFilter(field_name="dwelling__building_id", label=_("Building"))
    residence_type = django_filters.ChoiceFilter(
        choices=ResidenceType.choices, label=_("Residence type")
    )
    q = django_filters.CharFilter(field_name="number", lookup_expr="icontains", label=_("Number"))

    class Meta:
        model = Household
        fields = []


class PersonFilter(django_filters.FilterSet):
    """Persons. ``care_tag`` is honoured only where the user may see care tags: the view
    narrows the base queryset to ``restrict(user, "view_care")`` when it is given."""

    grid = NodeSubtreeFilter(label=_("Grid or division"))
    household = django_filters.NumberFilter(field_name="household_id", label=_("Household"))
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    sex = django_filters.ChoiceFilter(choices=Sex.choices, label=_("Sex"))
    status = django_filters.ChoiceFilter(choices=PersonStatus.choices, label=_("Status"))
    age_min = django_filters.NumberFilter(method="filter_age_min", label=_("Age at least"))
    age_max = django_filters.NumberFilter(method="filter_age_max", label=_("Age at most"))
    care_tag = django_filters.CharFilter(
        field_name="care_tags__code", distinct=True, label=_("Care tag code")
    )

    class Meta:
        model = Person
        fields = []

    def filter_age_min(self, queryset, name, value):
        return queryset.filter(birth_date__lte=_years_ago(int(value)))

    def filter_age_max(self, queryset, name, value):
        return queryset.filter(birth_date__gt=_years_ago(int(value) + 1))


class VisitFilter(django_filters.FilterSet):
    grid = NodeSubtreeFilter(label=_("Grid or division"))
    household = django_filters.NumberFilter(field_name="household_id", label=_("Household"))
    kind = django_filters.ChoiceFilter(choices=VisitKind.choices, label=_("Kind"))
    since = django_filters.IsoDateTimeFilter(
        field_name="visited_at", lookup_expr="gte", label=_("From")
    )

    class Meta:
        model = Visit
        fields = []


__all__ = ["HouseholdFilter", "PersonFilter", "VisitFilter"]
