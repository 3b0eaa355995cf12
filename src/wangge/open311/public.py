"""What Open311 reads with no user to restrict it to: its public doors' reads, each named here.

Staff pages and the API read through ``restrict`` (a lint keeps them to it:
``tests/test_reads_go_through_restrict.py``); Open311's feed and its clients' filing have no
person behind them, so they read only through these functions — the cases marked public, their
public steps (the staff's notes not even read), the buildings a filed address names, and when
the services last changed. Nothing here gives a reporter's details.
"""

from __future__ import annotations

import datetime

from django.db.models import Max, QuerySet

from wangge.cases.models import Case, CaseEvent, CategoryTree
from wangge.core.models import AuditEvent
from wangge.territory.models import Building

# What the service list is made of: an audited edit of any of these changes it.
SERVICE_TYPES = ["cases.category", "cases.categorytree", "core.form", "core.question"]


def public_cases() -> QuerySet[Case]:
    """The cases marked public, to anyone: a case's place, category and progress, never its
    reporter (the feed scrubs their name and number from the text as well)."""
    return Case.objects.filter(public=True)


def public_steps() -> QuerySet[CaseEvent]:
    """The steps residents may read, oldest first, without the staff's notes or data."""
    return CaseEvent.objects.filter(public=True).defer("note", "data").order_by("at", "id")


def services_changed_at() -> datetime.datetime | None:
    """When the services or their definitions last changed: the current tree's publication,
    or a later audited edit of a category, the tree, a form or a question."""
    tree = CategoryTree.objects.filter(is_current=True).first()
    edited = AuditEvent.objects.filter(target_type__in=SERVICE_TYPES).aggregate(last=Max("at"))
    moments = [moment for moment in (tree and tree.created_at, edited["last"]) if moment]
    return max(moments, default=None)


def building_numbered(number: int) -> Building | None:
    """The building a client names by its number (``address_id``), with its grid."""
    return Building.objects.filter(pk=number).select_related("grid").first()


def buildings_at(address: str) -> list[Building]:
    """Up to two buildings at exactly this address (two: the address is not one building)."""
    return list(Building.objects.filter(address=address).select_related("grid")[:2])
