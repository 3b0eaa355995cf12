"""Time limits per stage, looked up for a category (its own, an ancestor's, or the tree's).

An urgent case (its answers matched its category's ``urgent_when``) takes the nearest urgent
limit of the stage first, from the category up; without one, the ordinary limit.
"""

from __future__ import annotations

from django.db.models import Q

from wangge.cases.models import Category, StageLimit
from wangge.core.memo import kept


def limit_for(category: Category, stage: str, *, urgent: bool = False) -> StageLimit | None:
    return kept(
        ("limit", category.pk, category.tree_id, stage, urgent),
        lambda: _limit_for(category, stage, urgent),
    )


def _limit_for(category: Category, stage: str, urgent: bool) -> StageLimit | None:
    chain = []  # the category and its ancestors in this tree version, nearest first
    node = category
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    candidates = {
        (limit.category_id, limit.urgent): limit
        for limit in StageLimit.objects.filter(tree_id=category.tree_id, stage=stage)
        .filter(Q(category_id__in=chain) | Q(category__isnull=True))
        .filter(urgent__in=[False, True] if urgent else [False])
    }
    wanted = [True, False] if urgent else [False]
    for kind in wanted:
        for category_id in [*chain, None]:
            if (category_id, kind) in candidates:
                return candidates[category_id, kind]
    return None
