""" "Knowing every household" (提户知人), per grid: how much of the register is filled in,
and how much of it a grid worker has visited lately."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from wangge.people.models import Household, Person, Visit
from wangge.territory.models import Dwelling, Node


@dataclass
class Coverage:
    node: Node
    days: int
    dwellings: int = 0
    dwellings_registered: int = 0
    households: int = 0
    households_visited: int = 0
    persons: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def dwelling_rate(self) -> float | None:
        """Dwellings with a registered household, of all dwellings."""
        return self._rate(self.dwellings_registered, self.dwellings)

    @property
    def visit_rate(self) -> float | None:
        """Households visited within ``days``, of all households."""
        return self._rate(self.households_visited, self.households)


def coverage(user, nodes: list[Node], *, days: int) -> list[Coverage]:
    """Coverage for each of ``nodes`` (each summing its subtree), counting only what ``user``
    may see. Five grouped queries whatever the number of nodes."""
    since = timezone.now() - datetime.timedelta(days=days)
    dwellings = Counter(
        dict(
            Dwelling.objects.restrict(user, "view")
            .values_list("building__grid")
            .annotate(n=Count("id"))
        )
    )
    registered = Counter(
        dict(
            Household.objects.restrict(user, "view")
            .filter(dwelling__isnull=False)
            .values_list("dwelling__building__grid")
            .annotate(n=Count("dwelling", distinct=True))
        )
    )
    households = Counter(
        dict(Household.objects.restrict(user, "view").values_list("grid").annotate(n=Count("id")))
    )
    visited = Counter(
        dict(
            Visit.objects.restrict(user, "view")
            .filter(visited_at__gte=since)
            .values_list("grid")
            .annotate(n=Count("household", distinct=True))
        )
    )
    persons = Counter(
        dict(
            Person.objects.restrict(user, "view")
            .filter(status="active")
            .values_list("grid")
            .annotate(n=Count("id"))
        )
    )
    leaf_ids = set(dwellings) | set(registered) | set(households) | set(visited) | set(persons)
    paths = dict(Node.objects.filter(pk__in=leaf_ids).values_list("pk", "path"))
    result = []
    for node in nodes:
        inside = [pk for pk, path in paths.items() if path.startswith(node.path)]
        result.append(
            Coverage(
                node=node,
                days=days,
                dwellings=sum(dwellings[pk] for pk in inside),
                dwellings_registered=sum(registered[pk] for pk in inside),
                households=sum(households[pk] for pk in inside),
                households_visited=sum(visited[pk] for pk in inside),
                persons=sum(persons[pk] for pk in inside),
            )
        )
    return result
