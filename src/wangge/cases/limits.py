"""Time limits per stage, looked up for a category (its own, an ancestor's, or the tree's)."""

from __future__ import annotations

from django.db.models import Q

from wangge.cases.models import Category, StageLimit
from wangge.core.memo import kept


def limit_for(category: Category, stage: str) -> StageLimit | None:
    return kept(
        ("limit", category.pk, category.tree_id, stage), lambda: _limit_for(category, stage)
    )


def _limit_for(category: Category, stage: str) -> StageLimit | None:
    chain = []  # the category and its ancestors in this tree version, nearest first
    node = category
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    candidates = {
        limit.category_id: limit
        for limit in StageLimit.objects.filter(tree_id=category.tree_id, stage=stage).filter(
            Q(category_id__in=chain) | Q(category__isnull=True)
        )
    }
    for category_id in [*chain, None]:
        if category_id in candidates:
            return candidates[category_id]
    return None
