"""Filter sets of lost and found, shared by its API route, its list page and its export."""

import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import NodeSubtreeFilter, day_filter
from wangge.lostfound.models import FoundItem


class FoundItemFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=FoundItem.ItemState.choices, label=_("State"), empty_label=_("Any")
    )
    grid = NodeSubtreeFilter(label=_("Place"))
    q = django_filters.CharFilter(field_name="what", lookup_expr="icontains", label=_("What"))
    # Calendar days in local time, both ends included.
    since = day_filter("found_at", label=_("Found from"))
    until = day_filter("found_at", label=_("Found until"), until=True)

    class Meta:
        model = FoundItem
        fields = []
