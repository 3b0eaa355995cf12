import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import Channel, Kind, Mark, State, TaskState
from wangge.cases.models import Case, Category
from wangge.core.filters import NodeSubtreeFilter


def category_subtree(value) -> set[int]:
    """The ids of a category (by code or id) and all below it, in every version of the tree.

    A class of problem keeps its code from one version to the next while its cases keep the
    ids of the version they were filed under, so the codes below the category (in its own
    version and in the current one) are gathered, then every category with one of them.
    """
    if str(value).isdigit():
        root = Category.objects.filter(pk=int(value)).first()
    else:
        root = Category.objects.filter(code=value).order_by("-tree__is_current", "-tree_id").first()
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


class CategorySubtreeFilter(django_filters.CharFilter):
    """``?category=MD`` (a code) or an id: that category and everything below it."""

    def filter(self, queryset, value):
        if value in (None, ""):
            return queryset
        return queryset.filter(category_id__in=category_subtree(value))


class CaseFilter(django_filters.FilterSet):
    # One value of the case's own column per row: no join, so no DISTINCT (which would sort
    # every matching case before the first page).
    state = django_filters.MultipleChoiceFilter(
        choices=State.choices, label=_("State"), distinct=False
    )
    category = CategorySubtreeFilter(label=_("Category (code or id)"))
    grid = NodeSubtreeFilter(label=_("Grid or division"))
    handler = django_filters.NumberFilter(field_name="handler_id", label=_("Handler (user id)"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("Kind"))
    mark = django_filters.ChoiceFilter(choices=Mark.choices[1:], label=_("Mark"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Late"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Mine to do"))
    q = django_filters.CharFilter(method="search", label=_("Words or number"))
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Received from")
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Received until")
    )

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
