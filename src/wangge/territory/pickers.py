"""The caller's places as a tree to pick from (by name, never by number): the "place" of
every list's filters, and the phone pages' choice of a grid."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from wangge.core.widgets import TreeChoices, TreeOption, TreeSelect
from wangge.territory.choices import COMMUNITY_KINDS, GRID_KINDS, STREET_KINDS, NodeKind
from wangge.territory.models import Node

# Micro-grids (a building head's few stairwells) are left out of a list's place filter: a
# grid holds them, and a district has thousands.
LIST_KINDS = [kind for kind in NodeKind if kind != NodeKind.MICRO_GRID]


def place_tree(user, kinds=LIST_KINDS) -> list[TreeOption]:
    """The active places of ``user``'s own subtrees (``Node.objects.inside``) of ``kinds``, in
    tree order (siblings by code), each valued by its code and found by its name, the names
    above it and its code. A grid is named with its community (第1网格 is in every one), so
    it reads alone once picked. One query."""
    rows = list(
        Node.objects.inside(user)
        .filter(is_active=True, kind__in=list(kinds))
        .values_list("pk", "parent_id", "code", "name", "kind")
    )
    ids = {pk for pk, *_rest in rows}
    children = defaultdict(list)
    roots = []
    for row in rows:
        (children[row[1]] if row[1] in ids else roots).append(row)
    options: list[TreeOption] = []

    def walk(row, level: int, above: tuple[str, ...], community: str) -> None:
        pk, _parent, code, name, kind = row
        shown = f"{community} {name}" if community and kind in GRID_KINDS else name
        options.append(TreeOption(code, shown, level, " ".join([*above, name, code])))
        inner = name if kind in COMMUNITY_KINDS else community if kind in GRID_KINDS else ""
        for child in sorted(children[pk], key=lambda r: r[2]):
            walk(child, level + 1, (*above, name), inner)

    for root in sorted(roots, key=lambda r: r[2]):
        walk(root, 0, (), "")
    return options


def place_choices(user, kinds=LIST_KINDS, empty=None) -> TreeChoices:
    return TreeChoices(place_tree(user, kinds), str(empty or _("All my places")))


def place_picker(user, kinds=LIST_KINDS, empty=None) -> TreeSelect:
    """A ``<select>`` of the caller's places, searchable by name (``static/js/picker.js``)."""
    return TreeSelect(
        choices=place_choices(user, kinds, empty), search_label=_("Find a place by name")
    )


def place_labels(nodes, names: dict[int, tuple[str, str]]) -> dict[int, str]:
    """``第1网格`` is in every community: name each node with its ancestors from the
    community down (``万达社区 第1网格``). ``names``: id → (kind, name) of the ancestors."""
    below_street = {str(kind) for kind in COMMUNITY_KINDS | GRID_KINDS}
    labels = {}
    for node in nodes:
        parts = [
            names[pk][1] for pk in node.ancestor_ids if pk in names and names[pk][0] in below_street
        ]
        labels[node.pk] = " ".join([*parts, node.name])
    return labels


def labelled_places(user, nodes) -> tuple[list, dict[int, str]]:
    """``nodes`` with labels naming their community (the ancestors read within ``user``'s
    scope): the choices of a place on the lost-and-found and notices forms."""
    nodes = list(nodes)
    ancestors = {pk for node in nodes for pk in node.ancestor_ids}
    names = {
        pk: (kind, name)
        for pk, kind, name in Node.objects.restrict(user, "view")
        .filter(pk__in=ancestors)
        .values_list("pk", "kind", "name")
    }
    return nodes, place_labels(nodes, names)


def place_filter_widget(user) -> TreeSelect:
    """A list's "place" filter: the streets, communities and grids in ``user``'s scope as a
    tree, searchable by name (the lost-and-found and notice lists)."""
    kinds = (STREET_KINDS | COMMUNITY_KINDS | GRID_KINDS) - {NodeKind.MICRO_GRID}
    return place_picker(user, kinds=kinds, empty="—")
