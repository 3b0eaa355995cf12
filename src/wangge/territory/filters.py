import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import (
    NodeRefField,
    NodeSubtreeFilter,
    YesNoFilter,
    described,
    node_by_code_or_id,
)
from wangge.territory.choices import NodeKind
from wangge.territory.models import Building, Dwelling, Node


class NodeChildrenFilter(django_filters.CharFilter):
    """``?parent=410102010003`` (a division's code) or its id: the places right under it."""

    field_class = NodeRefField
    api_help = _("a division's code, or its id")

    def filter(self, queryset, value):
        if value in (None, ""):
            return queryset
        user = getattr(getattr(self.parent, "request", None), "user", None)
        parent = node_by_code_or_id(Node.objects.restrict(user, "view"), value)
        return queryset.filter(parent=parent) if parent is not None else queryset.none()


class NodeFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=NodeKind.choices, label=_("Kind"))
    parent = NodeChildrenFilter(label=_("Parent"))
    within = NodeSubtreeFilter(node_field="", label=_("Within node"))
    q = django_filters.CharFilter(method="search", label=_("Name or code"))

    class Meta:
        model = Node
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class BuildingFilter(django_filters.FilterSet):
    grid = NodeSubtreeFilter(label=_("Grid or division"))
    compound = django_filters.CharFilter(label=_("Compound"))
    tag = described(
        django_filters.CharFilter(field_name="tags__code", label=_("Tag")), _("the tag's code")
    )
    q = django_filters.CharFilter(method="search", label=_("Name or address"))

    class Meta:
        model = Building
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(address__icontains=value) | Q(compound__icontains=value)
        )


class DwellingFilter(django_filters.FilterSet):
    building = django_filters.NumberFilter(field_name="building_id", label=_("Building"))
    grid = NodeSubtreeFilter(node_field="building__grid", label=_("Grid or division"))
    occupied = YesNoFilter(method="filter_occupied", label=_("Has a household"))

    class Meta:
        model = Dwelling
        fields = []

    def filter_occupied(self, queryset, name, value):
        # A subquery, not a join: a join would multiply the household counts annotated on
        # the same queryset. Households are the register's; a dwelling knows them only as
        # its ``households``.
        occupied = Exists(
            Dwelling.objects.filter(pk=OuterRef("pk"), households__isnull=False).order_by()
        )
        return queryset.filter(occupied if value else ~occupied)
