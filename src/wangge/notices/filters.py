"""Filter sets of notices, shared by the API's lists and the console's pages."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import NodeSubtreeFilter, YesNoFilter, day_filter, described
from wangge.notices.choices import NoticeState
from wangge.notices.models import Notice, Robot


class NoticeFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=NoticeState.choices, label=_("State"), empty_label=_("Any")
    )
    kind = described(
        django_filters.CharFilter(field_name="kind__code", label=_("Kind")), _("its code")
    )
    node = NodeSubtreeFilter(node_field="node", label=_("Place (its whole subtree)"))
    q = django_filters.CharFilter(method="filter_words", label=_("Words (title or text)"))
    since = day_filter("created_at", label=_("Written from"))
    until = day_filter("created_at", label=_("Written until"), until=True)

    class Meta:
        model = Notice
        fields = []

    def filter_words(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(body__icontains=value))


class RobotFilter(django_filters.FilterSet):
    grid = NodeSubtreeFilter(label=_("Grid or division"))
    is_active = YesNoFilter(label=_("Active"))

    class Meta:
        model = Robot
        fields = []
