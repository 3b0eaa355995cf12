"""What the case list's filters offer to pick from, by name: the category tree and the people
who handle cases in the caller's places."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.cases.models import Category
from wangge.core.widgets import TreeChoices, TreeOption, TreeSelect
from wangge.territory.choices import GRID_KINDS

# Residents who help out do not handle cases.
NOT_HANDLERS = [Role.VOLUNTEER, Role.PARTY_MEMBER]


def category_tree() -> list[TreeOption]:
    """The current version's active categories in tree order, each valued by its code and
    found by its name, the names above it and its code (a 供暖 search finds 供暖 under
    民生服务). One query."""
    rows = list(
        Category.objects.filter(tree__is_current=True, is_active=True)
        .order_by("sort", "code")
        .values_list("pk", "parent_id", "code", "name")
    )
    ids = {pk for pk, *_rest in rows}
    children = defaultdict(list)
    roots = []
    for row in rows:
        (children[row[1]] if row[1] in ids else roots).append(row)
    options: list[TreeOption] = []

    def walk(row, level: int, above: tuple[str, ...]) -> None:
        pk, _parent, code, name = row
        options.append(TreeOption(code, name, level, " ".join([*above, name, code])))
        for child in children[pk]:
            walk(child, level + 1, (*above, name))

    for root in roots:
        walk(root, 0, ())
    return options


def category_picker() -> TreeSelect:
    return TreeSelect(
        choices=TreeChoices(category_tree(), str(_("All categories"))),
        search_label=_("Find a category by name"),
    )


def handler_choices(user) -> list:
    """The people working in ``user``'s places, by name, grouped under their place (one
    group per place, a person once, where they first appear): ``[(place, [(id, name)])]``.
    One query."""
    rows = (
        Membership.objects.restrict(user, "view")
        .filter(is_active=True, user__is_active=True)
        .exclude(role__in=NOT_HANDLERS)
        .order_by("node__code", "role", "user__display_name", "user__username")
        .values_list(
            "user_id",
            "user__display_name",
            "node__name",
            "node__kind",
            "node__parent__name",
            "role",
        )
    )
    roles = dict(Role.choices)
    groups: dict[str, list] = {}
    seen = set()
    for user_id, display_name, place, kind, above, role in rows:
        if user_id in seen:
            continue
        seen.add(user_id)
        if kind in GRID_KINDS and above:  # 第1网格 is in every community
            place = f"{above} {place}"
        # A name, never a login name; an account without one is said to be one.
        name = display_name or _("(account without a name)")
        groups.setdefault(place, []).append((str(user_id), f"{name} · {roles.get(role, role)}"))
    return [("", _("Anyone")), *groups.items()]


def handler_picker(user):
    from django import forms

    return forms.Select(
        choices=handler_choices(user),
        attrs={
            "data-picker": "",
            "data-picker-label": str(_("Find a person by name")),
            "data-picker-placeholder": str(_("Search by name")),
            "data-picker-none": str(_("Nothing by that name.")),
        },
    )
