"""Filter sets of lost and found, shared by its API route and (later) its pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import FoundItem
from wangge.core.filters import NodeSubtreeFilter


class FoundItemFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=FoundItem.ItemState.choices, label=_("State"))
    grid = NodeSubtreeFilter(label=_("Grid or division"))
    q = django_filters.CharFilter(field_name="what", lookup_expr="icontains", label=_("What"))

    class Meta:
        model = FoundItem
        fields = []
