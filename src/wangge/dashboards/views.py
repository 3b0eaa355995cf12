"""The dashboard of the staff console: one place's rates over the last 6, 12 or 24 months.

The rates come from the maintained roll-ups (``GridRollup`` for the totals, the months and
the places below, ``CaseRollup`` for the categories, ``ChannelRollup`` for the channels),
read through ``restrict`` exactly as ``/api/v1/metrics`` reads them, so the page and the API
always agree. The late cases are read from the cases through ``restrict`` (the
open ones: a few in a hundred, found through an index). The number of queries does not grow
with the places, the months or the cases.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from wangge.cases import metrics
from wangge.cases.choices import OPEN_STATES, Channel, Mark
from wangge.cases.models import Case, CaseRollup, Category, ChannelRollup, GridRollup
from wangge.core.errors import not_found
from wangge.core.filters import node_by_code_or_id
from wangge.core.scope import get_scope
from wangge.dashboards.forms import DEFAULT_MONTHS, PERIODS, DashboardForm
from wangge.territory.choices import (
    COMMUNITY_KINDS,
    DIVISION_KINDS,
    GRID_KINDS,
    STREET_KINDS,
    NodeKind,
)
from wangge.territory.models import Node

# A place whose rate rests on fewer finished cases than this is listed with its counts, after
# every place with enough: a rate of 3 cases is not comparable to one of 300.
FEW = 10
TOP_CATEGORIES = 10
LATE_LISTED = 10
BASIC_GRIDS = (NodeKind.GRID, NodeKind.DEDICATED_GRID)

# Each rate of ``metrics.summarize`` with the two counts it is the share of.
RATES = [
    ("response_rate", "responded_in_time", "received", gettext_lazy("Response rate")),
    ("on_time_rate", "done_in_time", "done", gettext_lazy("On-time rate")),
    ("solve_rate", "solved", "closed", gettext_lazy("Solve rate")),
    ("satisfaction_rate", "satisfied", "rated", gettext_lazy("Satisfaction rate")),
]
REWORK = ("rework_rate", "reworked", "done", gettext_lazy("Rework rate"))
# What the categories and the places are compared on.
COMPARED = ("on_time_rate", "satisfaction_rate")
COMPARED_RATES = [rate for rate in RATES if rate[0] in COMPARED]
LEVELS = [
    (gettext_lazy("Street"), set(STREET_KINDS)),
    (gettext_lazy("Community"), set(COMMUNITY_KINDS)),
    (gettext_lazy("Grid"), set(GRID_KINDS)),
]


@login_required
@require_GET
def dashboard(request):
    """The rates by month, by category and by the places one level below, the channels the
    cases came in by, and the cases late now, within one place of the caller's."""
    user = request.user
    if not get_scope(user).has_perm("cases.view_case"):
        raise not_found()
    form = DashboardForm(request.GET)
    valid = form.is_valid()
    months = form.cleaned_data.get("months") or DEFAULT_MONTHS
    inside = Node.objects.inside(user, "view")
    tops = list(metrics.top_nodes(user, inside).order_by("code"))
    wanted = form.cleaned_data.get("node")  # kept when only ``months`` is wrong
    if wanted:
        place = node_by_code_or_id(inside, wanted)
        if place is None:
            raise not_found()
    else:
        place = tops[0] if len(tops) == 1 else None
    context = {
        "form": form,
        "place": place,
        "months": months,
        "periods": PERIODS,
        "node_options": _node_options(inside, tops, place),
        "chosen": place.code if place else "",
    }
    if not valid:
        return render(request, "dashboards/dashboard.html", context, status=400)

    last = timezone.localdate().replace(day=1)
    first = _shift(last, -(months - 1))
    shown = [place] if place else tops

    def rollup(model):
        rows = model.objects.restrict(user, "view").filter(month__gte=first, month__lte=last)
        return metrics.within(rows, shown) if place else rows

    grid_rows = rollup(GridRollup)
    # Cases given to the caller outside their places are theirs to see, not these places'.
    cases = metrics.within(Case.objects.restrict(user, "view"), shown)

    month_rows, total = _by_month(grid_rows, first, last)
    categories = _categories(rollup(CaseRollup), total)
    places = _ranking(grid_rows, _places_below(inside, tops, place), inside)
    channels = _channels(rollup(ChannelRollup))
    late = cases.filter(mark=Mark.RED, state__in=OPEN_STATES)
    late_cases = list(
        late.select_related("grid__parent__parent").order_by("stage_deadline", "pk")[:LATE_LISTED]
    )
    if place is None or place.kind not in {*COMMUNITY_KINDS, *GRID_KINDS}:
        for case in late_cases:  # grids of the same name lie in many communities
            case.community = _community_name(case.grid)
    context.update(
        {
            "first": first,
            "last": last,
            "total": total,
            "cards": _cards(total),
            "total_cells": _rate_cells(total),
            "rates": [(key, label) for key, _part, _whole, label in RATES],
            "month_rows": month_rows,
            "categories": categories,
            "compared": [label for _key, _part, _whole, label in COMPARED_RATES],
            "places": places,
            "few": FEW,
            "level": _level(places),
            "channels": channels,
            "channel_total": sum(row["count"] for row in channels),
            "late_count": late.count() if len(late_cases) == LATE_LISTED else len(late_cases),
            "late_cases": late_cases,
            "chart": _chart(month_rows, categories, channels),
        }
    )
    return render(request, "dashboards/dashboard.html", context)


# --- The period ---------------------------------------------------------------------------------


def _shift(month: datetime.date, by: int) -> datetime.date:
    """The first day of the month ``by`` months after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_label(month: datetime.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


# --- The places ---------------------------------------------------------------------------------


def _node_options(inside, tops, place) -> list[tuple[str, str]]:
    """The places to choose from: every division the user sees, the grids of the community
    in view, and the user's own places; indented by depth, in the order of their codes."""
    wanted = Q(kind__in=DIVISION_KINDS) | Q(pk__in=[top.pk for top in tops])
    if place is not None:
        wanted |= Q(pk=place.pk)
        community = _community_id(place)
        if community is not None:
            wanted |= Q(kind__in=BASIC_GRIDS, parent_id=community)
    nodes = list(inside.filter(wanted).order_by("code").values_list("code", "name", "path"))
    depths = [path.count("/") for _code, _name, path in nodes]
    top = min(depths, default=0)
    options = [("", _("All my places"))] if len(tops) > 1 else []
    options += [
        (code, "\u3000" * (depth - top) + name)
        for (code, name, _path), depth in zip(nodes, depths, strict=True)
    ]
    return options


def _community_id(place) -> int | None:
    if place.kind in COMMUNITY_KINDS:
        return place.pk
    if place.kind in BASIC_GRIDS:
        return place.parent_id
    if place.kind == NodeKind.MICRO_GRID:
        return place.ancestor_ids[-2]
    return None


def _community_name(grid) -> str:
    """The name of the community a case's grid (or micro-grid) lies in."""
    for node in (grid.parent, grid.parent.parent if grid.parent else None):
        if node is not None and node.kind in COMMUNITY_KINDS:
            return node.name
    return ""


def _places_below(inside, tops, place) -> list:
    """The places one level below ``place`` (the user's own places when they have several);
    none below a grid."""
    if place is None:
        return tops
    if place.kind in DIVISION_KINDS:
        return list(inside.filter(parent=place).order_by("code"))
    return []


def _level(places) -> str:
    """What the places below are called (the column heading of the ranking)."""
    kinds = {row["node"].kind for row in places}
    for label, group in LEVELS:
        if kinds and kinds <= group:
            return str(label)
    return _("Place")


# --- The figures --------------------------------------------------------------------------------


def _rate_cells(summary: dict, rates=RATES) -> list[dict]:
    return [
        {
            "key": key,
            "label": label,
            "rate": summary[key],
            "part": summary[part],
            "whole": summary[whole],
        }
        for key, part, whole, label in rates
    ]


def _by_month(grid_rows, first, last) -> tuple[list[dict], dict]:
    """One row per month of the period (empty months too), and the period's totals."""
    grouped = {g["month"]: g for g in grid_rows.values("month").annotate(**metrics.sums())}
    totals = dict.fromkeys(metrics.COUNTS, 0)
    rows = []
    month = first
    while month <= last:
        counts = grouped.get(month, {})
        for name in metrics.COUNTS:
            totals[name] += counts.get(name) or 0
        summary = metrics.summarize(counts)
        rows.append(
            {
                "key": f"{month:%Y-%m}",
                "label": _month_label(month),
                "summary": summary,
                "cells": _rate_cells(summary),
            }
        )
        month = _shift(month, 1)
    return rows, metrics.summarize(totals)


def _categories(case_rows, total) -> list[dict]:
    """The categories with the most cases received, with their compared rates."""
    top = list(
        case_rows.values("category_id")
        .annotate(**metrics.sums())
        .order_by("-received", "category_id")[:TOP_CATEGORIES]
    )
    names = Category.objects.only("name").in_bulk([g["category_id"] for g in top])
    rows = []
    for counts in top:
        category = names.get(counts["category_id"])
        summary = metrics.summarize(counts)
        rows.append(
            {
                "name": category.name if category else f"#{counts['category_id']}",
                "summary": summary,
                "share": _percent(_share(summary["received"], total["received"])),
                "cells": _rate_cells(summary, COMPARED_RATES),
            }
        )
    return rows


def _ranking(grid_rows, nodes, inside) -> list[dict]:
    """The places ranked by 按期办结率 then 满意率; those with fewer than ``FEW`` finished
    cases come last, unranked."""
    if not nodes:
        return []
    rows = []
    for node, counts in zip(nodes, metrics.by_node(grid_rows, nodes, inside), strict=True):
        summary = metrics.summarize(counts)
        rows.append(
            {
                "node": node,
                "summary": summary,
                "few": summary["done"] < FEW,
                "cells": _rate_cells(summary, COMPARED_RATES),
            }
        )

    def order(row):
        on_time, satisfied = (row["summary"][key] for key in COMPARED)
        return (
            row["few"],
            -(on_time if on_time is not None else -1),
            -(satisfied if satisfied is not None else -1),
            row["node"].code,
        )

    rows.sort(key=order)
    for number, row in enumerate(rows, start=1):
        row["rank"] = None if row["few"] else number
    return rows


def _channels(channel_rows) -> list[dict]:
    """Cases received in the period by channel (merged and void ones count nowhere, as in
    the other roll-ups), most first."""
    counts = channel_rows.values_list("channel").annotate(n=Sum("received")).order_by()
    rows = sorted(((c, n) for c, n in counts if n), key=lambda row: (-row[1], row[0]))
    total = sum(n for _channel, n in rows)
    labels = dict(Channel.choices)
    return [
        {
            "label": str(labels.get(channel, channel)),
            "count": n,
            "share": _percent(_share(n, total)),
        }
        for channel, n in rows
    ]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percent(rate: float | None) -> str | None:
    """``0.9234`` → ``"92.3"`` (in the language's number format); ``None`` stays ``None``."""
    return None if rate is None else formats.number_format(rate * 100, 1)


def _cards(total: dict) -> list[dict]:
    """The period at a glance: each rate with the counts it is the share of."""
    cards = _rate_cells(total, [*RATES, REWORK])
    for card in cards:
        card["percent"] = _percent(card["rate"])
    return cards


def _chart(month_rows, categories, channels) -> dict:
    """What dashboard.js draws: the same numbers as the tables, with their labels."""

    def rates(cells):
        return {cell["key"]: [cell["rate"], cell["part"], cell["whole"]] for cell in cells}

    return {
        "labels": {
            "received": _("Cases received"),
            "cases": _("Cases"),
            "rates": {key: str(label) for key, _part, _whole, label in RATES},
        },
        "compared": list(COMPARED),
        "months": [
            {
                "key": row["key"],
                "label": row["label"],
                "received": row["summary"]["received"],
                "rates": rates(row["cells"]),
            }
            for row in month_rows
        ],
        "categories": [
            {
                "label": row["name"],
                "received": row["summary"]["received"],
                "rates": rates(row["cells"]),
            }
            for row in categories
        ],
        "channels": [{"label": row["label"], "value": row["count"]} for row in channels],
    }
