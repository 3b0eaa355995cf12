"""Visit plans (走访计划): the next visit due to each person with a care tag, from the rules.

``recompute(person_ids)`` is the one place plans are written. It runs in the transaction of
whatever changed them — a care tag set, a person registered or moved, a visit recorded (the
register's events, ``handlers.py``), a rule changed (``services``) — and daily for everyone
(an age passes a rule's threshold). Plans are derived rows, like the loop's roll-ups: the
change that moves them carries the audit event.

When a visit is due: ``every_days`` after the household's last visit (or, never visited,
from the day the tag was given), late ``window_days`` after that. ``state_q`` and
``VisitPlan.state_on`` say the same in a query and for one row.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from wangge.core.jobs import periodic
from wangge.fieldwork.models import PlanState, VisitPlan, VisitRule
from wangge.people.choices import PersonStatus
from wangge.people.models import Person, PersonTag, Visit

BATCH = 2000


def today() -> datetime.date:
    return timezone.localdate()


def local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def state_q(state: str, day: datetime.date) -> Q:
    """The plans in ``state`` on ``day``, as a filter (the same rule as ``state_on``)."""
    if state == PlanState.OVERDUE:
        return Q(overdue_on__lt=day)
    if state == PlanState.DUE:
        return Q(due_on__lte=day, overdue_on__gte=day)
    if state == PlanState.PLANNED:
        return Q(due_on__gt=day)
    raise ValueError(state)


def due_q(day: datetime.date) -> Q:
    """Due or overdue on ``day``: the visits to make now."""
    return Q(due_on__lte=day)


@dataclass(frozen=True)
class Rule:
    id: int
    tag_id: int
    path: str  # the rule's place ("" for the defaults)
    min_age: int | None
    max_grade: int | None
    every_days: int
    window_days: int

    def holds(self, age: int | None, grade: int | None) -> bool:
        too_young = self.min_age is not None and (age is None or age < self.min_age)
        too_light = self.max_grade is not None and (grade is None or grade > self.max_grade)
        return not (too_young or too_light)


class Rules:
    """The active rules, read once: for a tag and a grid, the rules of the deepest place above
    the grid that has any for the tag (the defaults when none has)."""

    def __init__(self) -> None:
        self.by_tag: dict[int, dict[str, list[Rule]]] = defaultdict(lambda: defaultdict(list))
        for row in VisitRule.objects.filter(is_active=True).values(
            "id",
            "tag_id",
            "node__path",
            "min_age",
            "max_disability_grade",
            "every_days",
            "window_days",
        ):
            rule = Rule(
                id=row["id"],
                tag_id=row["tag_id"],
                path=row["node__path"] or "",
                min_age=row["min_age"],
                max_grade=row["max_disability_grade"],
                every_days=row["every_days"],
                window_days=row["window_days"],
            )
            self.by_tag[rule.tag_id][rule.path].append(rule)

    def for_tag(self, tag_id: int, grid_path: str) -> list[Rule]:
        places = self.by_tag.get(tag_id)
        if not places:
            return []
        deepest = max((p for p in places if grid_path.startswith(p)), key=len, default=None)
        return places[deepest] if deepest is not None else []

    def pick(
        self, tags: Sequence[tuple[int, int | None]], grid_path: str, age: int | None
    ) -> tuple[Rule, int] | None:
        """The most frequent rule that holds, with the tag it holds for."""
        best: tuple[Rule, int] | None = None
        for tag_id, grade in tags:
            for rule in self.for_tag(tag_id, grid_path):
                if not rule.holds(age, grade):
                    continue
                if best is None or (rule.every_days, rule.window_days) < (
                    best[0].every_days,
                    best[0].window_days,
                ):
                    best = (rule, tag_id)
        return best


def _age(born: datetime.date | None, on: datetime.date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


@transaction.atomic
def recompute(person_ids: Iterable[int] | None = None, *, rules: Rules | None = None) -> int:
    """Write the plans of these persons (``None``: everyone with a care tag) and remove those
    of persons no rule holds for any more; returns how many plans there are for them now."""
    rules = rules or Rules()
    on = today()
    if person_ids is None:
        ids = sorted(set(PersonTag.objects.values_list("person_id", flat=True)))
        stale = VisitPlan.objects.exclude(person_id__in=PersonTag.objects.values("person_id"))
        stale.delete()
    else:
        ids = sorted(set(person_ids))
    written = 0
    for chunk in _chunks(ids):
        written += _recompute_chunk(chunk, rules, on)
    return written


def _recompute_chunk(ids: Sequence[int], rules: Rules, on: datetime.date) -> int:
    tags: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    tagged_on: dict[int, datetime.datetime] = {}
    for person_id, tag_id, grade, created in PersonTag.objects.filter(
        person_id__in=ids
    ).values_list("person_id", "tag_id", "disability_grade", "created_at"):
        tags[person_id].append((tag_id, grade))
        tagged_on[person_id] = min(created, tagged_on.get(person_id, created))
    persons = list(
        Person.objects.filter(pk__in=ids, status=PersonStatus.ACTIVE).values_list(
            "pk", "birth_date", "grid__path", "household_id"
        )
    )
    households = {household for _pk, _born, _path, household in persons if household}
    last_visits = dict(
        Visit.objects.filter(household_id__in=households)
        .values("household_id")
        .annotate(last=Max("visited_at"))
        .values_list("household_id", "last")
    )
    plans = []
    for pk, born, path, household in persons:
        picked = rules.pick(tags.get(pk, ()), path, _age(born, on))
        if picked is None:
            continue
        rule, tag_id = picked
        last = last_visits.get(household) if household else None
        start = timezone.localdate(last) if last else timezone.localdate(tagged_on[pk])
        due = start + datetime.timedelta(days=rule.every_days) if last else start
        plans.append(
            VisitPlan(
                person_id=pk,
                rule_id=rule.id,
                tag_id=tag_id,
                every_days=rule.every_days,
                window_days=rule.window_days,
                last_visit_at=last,
                due_on=due,
                overdue_on=due + datetime.timedelta(days=rule.window_days),
                updated_at=timezone.now(),
            )
        )
    keep = {plan.person_id for plan in plans}
    VisitPlan.objects.filter(person_id__in=[pk for pk in ids if pk not in keep]).delete()
    VisitPlan.objects.bulk_create(
        plans,
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=[
            "rule",
            "tag",
            "every_days",
            "window_days",
            "last_visit_at",
            "due_on",
            "overdue_on",
            "updated_at",
        ],
        batch_size=500,
    )
    return len(plans)


def rules_at(node) -> list[tuple[VisitRule, bool]]:
    """The defaults and the rules of ``node`` and the places above it, each with whether it
    holds there (for each tag, the rules of the deepest place that has any)."""
    ancestors = [int(part) for part in node.path.strip("/").split("/") if part]
    rules = list(
        VisitRule.objects.filter(Q(node__isnull=True) | Q(node_id__in=ancestors), is_active=True)
        .select_related("node", "tag")
        .order_by("tag__sort", "tag_id", "node__depth", "every_days")
    )
    deepest: dict[int, int] = {}
    for rule in rules:
        depth = len(rule.node.path) if rule.node_id else 0
        deepest[rule.tag_id] = max(deepest.get(rule.tag_id, 0), depth)
    return [
        (rule, (len(rule.node.path) if rule.node_id else 0) == deepest[rule.tag_id])
        for rule in rules
    ]


def for_households(household_ids: Iterable[int]) -> list[int]:
    """The tagged persons of these households (whose plans a visit there moves)."""
    return list(
        PersonTag.objects.filter(person__household_id__in=list(household_ids))
        .values_list("person_id", flat=True)
        .distinct()
    )


def in_places(paths: Iterable[str]) -> list[int]:
    """The tagged persons living under these places (whose plans a rule there moves)."""
    q = Q()
    for path in paths:
        q |= Q(person__grid__path__startswith=path)
    return list(PersonTag.objects.filter(q).values_list("person_id", flat=True).distinct())


@periodic(24 * 3600)
def daily() -> dict[str, int]:
    """Everyone once a day: a birthday may pass a rule's age."""
    return {"visit_plans": recompute()}
