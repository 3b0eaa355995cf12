"""Inspection campaigns (排查): which answers reveal a hazard, and the coverage of a campaign's
place — every building of the register there checked, with a hazard found, or not yet — per
grid, per building, and the findings (hazards by question, the cases they opened and how many
are still open).

Coverage is read with a fixed number of grouped queries, whatever the size of the place: the
buildings (one row each, their point and grid), the checks grouped by building, the grids'
names, the cases' states grouped; then one pass in Python.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from wangge.cases.choices import OPEN_STATES, State
from wangge.cases.models import Case
from wangge.core import formspec
from wangge.core.models import Question
from wangge.fieldwork.models import Campaign, Check, CheckResult, HazardRule
from wangge.territory import geo
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Building, Node

# A building's state in a campaign, as the map colours it.
NOT_YET = "todo"
CHECKED = "ok"
HAZARD = "hazard"
STATUS_COLOURS = {NOT_YET: "#9aa0a6", CHECKED: "#1e8e3e", HAZARD: "#d93025"}


def today():
    return timezone.localdate()


def questions_with_rules(form) -> list[tuple[Question, HazardRule | None]]:
    """The checklist's questions in order, each with its hazard rule (or none): two queries."""
    questions = formspec.questions(form)
    rules = {
        rule.question_id: rule
        for rule in HazardRule.objects.filter(question__in=[q.pk for q in questions])
    }
    return [(question, rules.get(question.pk)) for question in questions]


def hazards_in(form, answers: dict) -> list[tuple[Question, HazardRule]]:
    """The questions whose answer reveals a hazard, with their rules."""
    return [
        (question, rule)
        for question, rule in questions_with_rules(form)
        if rule is not None and rule.matches(answers.get(question.code))
    ]


def building_grids(campaign: Campaign):
    """The grids of the campaign's place (a community's grids, or a street's)."""
    return Node.objects.filter(
        path__startswith=campaign.node.path, kind__in=GRID_KINDS, is_active=True
    ).order_by("code")


@dataclass
class GridCoverage:
    grid_id: int
    code: str
    name: str
    buildings: int = 0
    checked: int = 0
    hazards: int = 0
    checks: int = 0

    @property
    def todo(self) -> int:
        return self.buildings - self.checked

    @property
    def percent(self) -> int:
        return round(100 * self.checked / self.buildings) if self.buildings else 0


@dataclass
class Coverage:
    grids: list[GridCoverage]
    buildings: list[dict] = field(default_factory=list)
    total: GridCoverage | None = None


def coverage(campaign: Campaign, user, *, with_buildings: bool = True) -> Coverage:
    """Per grid (and per building with ``with_buildings``) of the campaign's place that
    ``user`` sees: how many buildings, how many checked, how many with a hazard found."""
    grids = {
        grid.pk: GridCoverage(grid.pk, grid.code, grid.name)
        for grid in Node.objects.restrict(user, "view")
        .filter(path__startswith=campaign.node.path, kind__in=GRID_KINDS)
        .only("pk", "code", "name")
        .order_by("code")
    }
    visible = Building.objects.restrict(user, "view").filter(grid_id__in=list(grids))
    per_building = {
        row["building_id"]: (row["checks"], row["hazards"])
        for row in Check.objects.filter(campaign=campaign, building__isnull=False)
        .values("building_id")
        .annotate(checks=Count("pk"), hazards=Count("pk", filter=Q(result=CheckResult.HAZARD)))
    }
    rows = visible.values_list("pk", "grid_id", "name", "compound", "lng", "lat").order_by(
        "grid__code", "compound", "name", "pk"
    )
    buildings = []
    crs = settings.WANGGE_MAP_TILES_CRS
    for pk, grid_id, name, compound, lng, lat in rows:
        entry = grids[grid_id]
        entry.buildings += 1
        checks, hazards = per_building.get(pk, (0, 0))
        status = NOT_YET
        if checks:
            entry.checked += 1
            entry.checks += checks
            status = CHECKED
        if hazards:
            entry.hazards += 1
            status = HAZARD
        if with_buildings:
            point = None
            if lng is not None and lat is not None:
                x, y = (lng, lat) if crs == "wgs84" else geo.from_wgs84(lng, lat, crs)
                point = [round(float(x), 6), round(float(y), 6)]
            buildings.append(
                {
                    "id": pk,
                    "name": f"{compound}{name}",
                    "grid_code": entry.code,
                    "grid_name": entry.name,
                    "status": status,
                    "checks": checks,
                    "point": point,
                }
            )
    total = GridCoverage(0, campaign.node.code, campaign.node.name)
    for entry in grids.values():
        total.buildings += entry.buildings
        total.checked += entry.checked
        total.hazards += entry.hazards
        total.checks += entry.checks
    kept = [entry for entry in grids.values() if entry.buildings]
    return Coverage(grids=kept, buildings=buildings, total=total)


def campaign_cases(campaign: Campaign, user):
    """The cases the campaign's checks opened, as ``user`` sees them."""
    linked = Check.cases.through.objects.filter(check__campaign=campaign).values("case_id")
    return Case.objects.restrict(user, "view").filter(pk__in=linked)


@dataclass
class Findings:
    by_question: list[dict]
    cases: int
    cases_open: int
    by_state: list[tuple[str, int]]
    checks: int
    hazard_checks: int


def findings(campaign: Campaign, user) -> Findings:
    """Hazards found, by question; the cases opened and how many are still open."""
    checks = Check.objects.restrict(user, "view").filter(campaign=campaign)
    counted = Counter()
    hazard_checks = 0
    total = 0
    for hazards in checks.values_list("hazards", flat=True):
        total += 1
        if hazards:
            hazard_checks += 1
            counted.update(set(hazards))
    by_question = [
        {"code": question.code, "label": question.label, "count": counted.get(question.code, 0)}
        for question, rule in questions_with_rules(campaign.checklist.form)
        if rule is not None
    ]
    states = dict(
        campaign_cases(campaign, user)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    open_count = sum(n for state, n in states.items() if state in OPEN_STATES)
    by_state = [(State(state).label, n) for state, n in sorted(states.items())]
    return Findings(
        by_question=by_question,
        cases=sum(states.values()),
        cases_open=open_count,
        by_state=by_state,
        checks=total,
        hazard_checks=hazard_checks,
    )


def answers_in_words(form, answers: dict) -> list[tuple[str, str, bool]]:
    """Each answered question: its label, the answer in words, whether it is a hazard."""
    rows = []
    for question, rule in questions_with_rules(form):
        if question.code not in answers:
            continue
        value = answers[question.code]
        hazard = bool(rule and rule.matches(value))
        rows.append((question.label, formspec.answer_text(question, value), hazard))
    return rows
