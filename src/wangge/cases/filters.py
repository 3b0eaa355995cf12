import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import FINAL_STATES, OPEN_STATES, Channel, Kind, Mark, State, TaskState
from wangge.cases.models import Case, Category
from wangge.core.filters import (
    CodeOrIdField,
    MomentOrDayFilter,
    NodeSubtreeFilter,
    UserRefFilter,
    YesNoFilter,
    as_id,
)


def category_root(value):
    """The category of a code (in the current tree first, then the newest version that has
    it) or, failing that, of an id."""
    value = str(value)
    root = Category.objects.filter(code=value).order_by("-tree__is_current", "-tree_id").first()
    if root is None and (pk := as_id(value)) is not None:
        root = Category.objects.filter(pk=pk).first()
    return root


def category_subtree(value) -> set[int]:
    """The ids of a category (by code or id) and all below it, in every version of the tree.

    A class of problem keeps its code from one version to the next while its cases keep the
    ids of the version they were filed under, so the codes below the category (in its own
    version and in the current one) are gathered, then every category with one of them.
    """
    root = category_root(value)
    if root is None:
        return set()
    codes = {root.code}
    roots = {root.pk} | set(
        Category.objects.filter(tree__is_current=True, code=root.code).values_list("pk", flat=True)
    )
    frontier = list(roots)
    while frontier:
        below = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", "code"))
        frontier = [pk for pk, _code in below]
        codes.update(code for _pk, code in below)
    return set(Category.objects.filter(code__in=codes).values_list("pk", flat=True))


def open_tasks_of(user):
    """The cases in which ``user`` has work to do (我的待办), as a subquery of case ids."""
    from wangge.cases.models import Task

    open_states = [TaskState.DISPATCHED, TaskState.SIGNED, TaskState.HANDLING]
    return Task.objects.filter(assignee=user, state__in=open_states).values("case")


class CategoryField(CodeOrIdField):
    """A category's code (``AQ02``, ``MS``) or id: it and everything below it, as the set of
    their ids in every version of the tree. A code no version has is an error, named."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        found = category_subtree(value)
        if not found:
            raise forms.ValidationError(
                _("No category has the code %(code)s."), code="invalid", params={"code": value}
            )
        return frozenset(found)


class CategorySubtreeFilter(django_filters.CharFilter):
    """``?category=MD`` (a code) or an id: that category and everything below it."""

    field_class = CategoryField
    api_help = _("a category's code (e.g. AQ02) or id; the categories below it are included")

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(category_id__in=value)


# Group states, as Open311's ``status``: every open state, every finished one.
STATE_GROUPS = {"open": OPEN_STATES, "closed": FINAL_STATES}
STATE_CHOICES = [
    ("open", _("All open")),
    ("closed", _("All finished (closed, merged or void)")),
    *((state.value, state.label) for state in State if state not in FINAL_STATES),
    (State.MERGED.value, State.MERGED.label),
    (State.VOID.value, State.VOID.label),
]


class StateFilter(django_filters.MultipleChoiceFilter):
    """One or more states; ``open`` and ``closed`` stand for every open or finished one."""

    api_help = _("one or more; open or closed for every open or finished state")

    def filter(self, queryset, value):
        if not value:
            return queryset
        states = set()
        for state in value:
            states.update(str(s) for s in STATE_GROUPS.get(state, {state}))
        return queryset.filter(state__in=sorted(states))


class CaseFilter(django_filters.FilterSet):
    # One value of the case's own column per row: no join, so no DISTINCT (which would sort
    # every matching case before the first page).
    q = django_filters.CharFilter(method="search", label=_("Words or number"))
    state = StateFilter(
        choices=STATE_CHOICES,
        label=_("State"),
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = CategorySubtreeFilter(label=_("Category"))
    grid = NodeSubtreeFilter(label=_("Place"))
    handler = UserRefFilter(field_name="handler", label=_("Handler"))
    since = MomentOrDayFilter(field_name="created_at", lookup_expr="gte", label=_("Received from"))
    until = MomentOrDayFilter(
        field_name="created_at", lookup_expr="lt", end=True, label=_("Received until")
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, label=_("Channel"), empty_label=_("Any")
    )
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("Kind"), empty_label=_("Any"))
    mark = django_filters.ChoiceFilter(
        choices=Mark.choices[1:], label=_("Mark"), empty_label=_("Any")
    )
    overdue = YesNoFilter(method="filter_overdue", label=_("Late"))
    mine = YesNoFilter(method="filter_mine", label=_("Mine to do"))

    class Meta:
        model = Case
        fields = []

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(mark=Mark.RED) if value else queryset.exclude(mark=Mark.RED)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(pk__in=open_tasks_of(user))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(number__startswith=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(address__icontains=value)
        )
