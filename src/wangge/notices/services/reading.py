"""Reading: a grid's public feed of notices, and how a notice's messages fared."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wangge.notices.choices import DeliveryState, NoticeState, Outcome
from wangge.notices.models import Delivery, DeliveryAttempt, Notice
from wangge.territory.models import Node


def notices_for_grid(grid: Node, *, now: datetime.datetime | None = None) -> QuerySet[Notice]:
    """The notices a grid's public page shows: published to the web, out, not expired, for
    the grid or a place above it (or a building in it), not settled; newest first."""
    now = now or timezone.now()
    places = [*grid.ancestor_ids, grid.pk]
    targeted = Notice.nodes.through.objects.filter(node_id__in=places).values("notice_id")
    in_buildings = Notice.buildings.through.objects.filter(building__grid=grid).values("notice_id")
    return (
        Notice.objects.filter(state=NoticeState.PUBLISHED, to_web=True, publish_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(pk__in=targeted) | Q(pk__in=in_buildings))
        .filter(settled_at__isnull=True)
        .select_related("kind")
        .order_by("-publish_at", "-id")
    )


def delivery_report(notice: Notice) -> dict:
    """How a notice's messages fared: counts by state, overall, by channel and by grid, and
    how many were possibly sent twice (a worker died between the provider's answer and its
    record)."""
    states = DeliveryState.values
    rows = (
        Delivery.objects.filter(notice=notice)
        .values("channel", "node_id", "state")
        .annotate(count=Count("id"))
        .order_by()
    )
    total = dict.fromkeys(states, 0)
    by_channel: dict[str, dict[str, int]] = {}
    by_node: dict[int | None, dict[str, int]] = {}
    for row in rows:
        count = row["count"]
        total[row["state"]] += count
        by_channel.setdefault(row["channel"], dict.fromkeys(states, 0))[row["state"]] += count
        by_node.setdefault(row["node_id"], dict.fromkeys(states, 0))[row["state"]] += count
    nodes = Node.objects.in_bulk([pk for pk in by_node if pk is not None])
    grids = [
        {
            "node_id": pk,
            "code": nodes[pk].code if pk in nodes else "",
            "name": nodes[pk].name if pk in nodes else "",
            **counts,
        }
        for pk, counts in sorted(
            by_node.items(), key=lambda item: nodes[item[0]].path if item[0] in nodes else ""
        )
    ]
    repeats = (
        DeliveryAttempt.objects.filter(
            delivery__notice=notice,
            delivery__state=DeliveryState.SENT,
            outcome=Outcome.ABANDONED,
        )
        .values("delivery")
        .distinct()
        .count()
    )
    return {
        "notice_id": notice.pk,
        "total": total,
        "by_channel": [{"channel": channel, **counts} for channel, counts in by_channel.items()],
        "by_grid": grids,
        "possibly_repeated": repeats,
    }
