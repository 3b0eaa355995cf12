"""Filter sets: one per model, shared by its page, its API route and its export."""

from __future__ import annotations

from typing import Optional

import django_filters
from django.utils.translation import gettext_lazy as _
from pydantic import Field, create_model

from wangge.core.models import AuditEvent


class NodeSubtreeFilter(django_filters.NumberFilter):
    """``?grid=ID``: everything in that node's subtree (a grid and its micro-grids, a
    community and its grids). A node the user cannot see gives nothing."""

    def __init__(self, *args, node_field: str = "grid", **kwargs):
        self.node_field = node_field
        kwargs.setdefault("method", self.filter_subtree)
        super().__init__(*args, **kwargs)

    def filter_subtree(self, queryset, name, value):
        from wangge.territory.models import Node

        if value in (None, ""):
            return queryset
        request = getattr(self.parent, "request", None)
        user = getattr(request, "user", None)
        node = Node.objects.restrict(user, "view").filter(pk=value).first()
        if node is None:
            return queryset.none()
        lookup = f"{self.node_field}__path__startswith" if self.node_field else "path__startswith"
        return queryset.filter(**{lookup: node.path})


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.NumberFilter(field_name="actor_id", label=_("Actor (user id)"))
    who = django_filters.CharFilter(
        field_name="actor_name", lookup_expr="icontains", label=_("Actor (name or user name)")
    )
    action = django_filters.CharFilter(lookup_expr="startswith", label=_("Action"))
    target_type = django_filters.CharFilter(label=_("Target type"))
    target_id = django_filters.CharFilter(label=_("Target id"))
    node = NodeSubtreeFilter(node_field="node", label=_("Territory node"))
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label=_("From"))
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", label=_("Until"))

    class Meta:
        model = AuditEvent
        fields = []


def query_schema(filterset_class, name: str):
    """A pydantic model of a filter set's parameters, so the API documents them."""
    fields = {}
    for key, declared in filterset_class.base_filters.items():
        kind = str
        if isinstance(declared, django_filters.MultipleChoiceFilter):
            kind = list[str]
        elif isinstance(declared, django_filters.NumberFilter):
            kind = int
        elif isinstance(declared, django_filters.BooleanFilter):
            kind = bool
        fields[key] = (
            Optional[kind],  # noqa: UP045 (pydantic needs the runtime type)
            Field(None, description=str(declared.label or key)),
        )
    return create_model(name, **fields)
