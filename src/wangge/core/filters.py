"""Filter sets: one per model, shared by its page, its API route and its export."""

from __future__ import annotations

import datetime
import re
from typing import Optional

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from pydantic import Field, create_model

from wangge.core.models import AuditEvent
from wangge.core.widgets import DayInput, YesNoSelect

# A code or an id as a URL carries it: letters, digits, "-", "_" and ".".
CODE_OR_ID = RegexValidator(
    r"^[0-9A-Za-z_.-]{1,32}$", _("Give a code or a number (letters and digits only).")
)
MAX_ID = 2**63 - 1
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CodeOrIdField(forms.CharField):
    """A code (``AQ02``, ``410102010003``) or an id, checked for its shape only."""

    default_validators = [CODE_OR_ID]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return super().to_python(value).strip()


class NodeRefField(CodeOrIdField):
    """A division's or grid's code (digits: ``410102010003``) or its id."""

    default_validators = [
        RegexValidator(
            r"^[1-9][0-9]{0,19}$", _("Give the code of a division or grid (digits only).")
        )
    ]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)


class UserRefField(CodeOrIdField):
    """A user's id or user name (letters, digits and ``@.+-_``, as Django's user names)."""

    default_validators = [
        RegexValidator(r"^[\w.@+-]{1,150}$", _("Give a user name or a number, without spaces."))
    ]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 150)
        super().__init__(*args, **kwargs)


def as_id(value: str) -> int | None:
    """``value`` as an id, if it can be one."""
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


def described(declared, api_help):
    """``declared`` (a filter) with what the API documents of its values."""
    declared.api_help = api_help
    return declared


def day_filter(field_name: str, *, label, until: bool = False) -> django_filters.DateFilter:
    """A calendar day in local time, picked with the browser's date picker: the rows from that
    day on, or (``until``) up to that day included — a list's "from … until …"."""
    return django_filters.DateFilter(
        field_name=field_name,
        lookup_expr="date__lte" if until else "date__gte",
        label=label,
        widget=DayInput(),
    )


def clean_ref(name: str, value, field=None):
    """``value`` of the parameter ``name`` cleaned by ``field`` (a code or an id), or a
    ``ValidationError`` naming the parameter (a 400 in the API)."""
    from django.core.exceptions import ValidationError

    field = field or CodeOrIdField(required=False)
    try:
        return field.clean(value)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from exc


def node_by_code_or_id(nodes, value: str):
    """The node of ``nodes`` whose code is ``value`` or, failing that, whose id it is."""
    condition = Q(code=value)
    if (pk := as_id(value)) is not None:
        condition |= Q(pk=pk)
    found = list(nodes.filter(condition).defer("geometry")[:2])
    return next((node for node in found if node.code == value), found[0] if found else None)


def _related_model(model, lookup: str):
    """The model at the end of ``lookup`` (``building__grid`` → the node model) from
    ``model``; ``model`` itself for an empty lookup. Territory's nodes are found through the
    filtered model's own fields, since territory lies above core."""
    for name in filter(None, lookup.split("__")):
        model = model._meta.get_field(name).related_model
    return model


class NodeSubtreeFilter(django_filters.CharFilter):
    """``?grid=410102010003001`` (a division's or grid's code) or an id: everything in that
    node's subtree (a grid and its micro-grids, a community and its grids). A node the user
    cannot see gives nothing."""

    field_class = NodeRefField
    api_help = _("a division's or grid's code, or its id")

    def __init__(self, *args, node_field: str = "grid", **kwargs):
        self.node_field = node_field
        kwargs.setdefault("method", self.filter_subtree)
        super().__init__(*args, **kwargs)

    def filter_subtree(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        request = getattr(self.parent, "request", None)
        user = getattr(request, "user", None)
        nodes = _related_model(queryset.model, self.node_field).objects
        node = node_by_code_or_id(nodes.restrict(user, "view"), value)
        if node is None:
            return queryset.none()
        lookup = f"{self.node_field}__path__startswith" if self.node_field else "path__startswith"
        return queryset.filter(**{lookup: node.path})


class YesNoFilter(django_filters.BooleanFilter):
    """A yes/no filter shown as 全部/是/否 (全部 by default); the API takes true or false."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", YesNoSelect)
        super().__init__(*args, **kwargs)


class MomentOrDayField(IsoDateTimeField):
    """An ISO date-time (``2026-12-01T08:00:00+08:00``) or a day (``2026-12-01``): a day is
    its first moment in local time, or, for the end of a period, the first of the next day,
    so that the day itself is in."""

    def __init__(self, *args, end: bool = False, **kwargs):
        self.end = end
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and DAY.match(value.strip()):
            try:
                day = datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            if self.end:
                day += datetime.timedelta(days=1)
            midnight = datetime.datetime.combine(day, datetime.time())
            return timezone.make_aware(midnight)
        return super().to_python(value)


class MomentOrDayFilter(django_filters.IsoDateTimeFilter):
    """``since``/``until`` by a day from the date picker, or by an ISO date-time (the API).
    ``end=True``: the last day is included."""

    field_class = MomentOrDayField
    api_help = _("a day (2026-12-01) or an ISO date-time")

    def __init__(self, *args, end: bool = False, **kwargs):
        kwargs.setdefault("widget", DayInput)
        super().__init__(*args, **kwargs)
        self.extra["end"] = end


class UserRefFilter(django_filters.CharFilter):
    """``?handler=`` a person by their id or user name: the rows of ``field_name``."""

    field_class = UserRefField
    api_help = _("a user's id or user name")

    def filter(self, queryset, value):
        if value in (None, ""):
            return queryset
        if (pk := as_id(value)) is not None:
            return queryset.filter(**{f"{self.field_name}_id": pk})
        return queryset.filter(**{f"{self.field_name}__username": value})


class AuditFilter(django_filters.FilterSet):
    actor = UserRefFilter(field_name="actor", label=_("Who (account)"))
    who = django_filters.CharFilter(
        field_name="actor_name", lookup_expr="icontains", label=_("Who (name)")
    )
    action = django_filters.CharFilter(lookup_expr="startswith", label=_("Action"))
    target_type = django_filters.CharFilter(label=_("Kind of object"))
    target = django_filters.CharFilter(method="filter_target", label=_("Object (name or number)"))
    target_id = django_filters.CharFilter(label=_("Object id"))
    node = NodeSubtreeFilter(node_field="node", label=_("Place"))
    since = MomentOrDayFilter(field_name="at", lookup_expr="gte", label=_("From"))
    until = MomentOrDayFilter(field_name="at", lookup_expr="lt", end=True, label=_("Until"))

    class Meta:
        model = AuditEvent
        fields = []

    def filter_target(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(target_repr__icontains=value) | Q(target_id=value))


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
        description = str(declared.label or key)
        if getattr(declared, "api_help", ""):
            description = gettext("%(label)s: %(help)s") % {
                "label": description,
                "help": declared.api_help,
            }
        fields[key] = (
            Optional[kind],  # noqa: UP045 (pydantic needs the runtime type)
            Field(None, description=description),
        )
    return create_model(name, **fields)
