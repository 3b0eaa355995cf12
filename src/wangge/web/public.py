"""What the residents' pages read with nobody signed in, each read named here.

Staff pages read through ``restrict`` (a lint keeps them to it:
``tests/test_reads_go_through_restrict.py``); a resident holding a QR code or a tracking code
is no user to restrict to, so those pages read only through these functions: an active grid
by its code, a case by its tracking code, and — for the grid's poster, whose grid the staff
member's scope gave — the grid workers to name on it.
"""

from __future__ import annotations

from django.db.models import QuerySet

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership
from wangge.cases.models import Case
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Node


def grid_by_code(code: str) -> Node | None:
    """The active grid (or micro-grid) whose QR code this is, or ``None``."""
    return Node.objects.filter(code=code, kind__in=GRID_KINDS, is_active=True).first()


def cases_by_tracking_code() -> QuerySet[Case]:
    """Cases as their tracking codes find them (the page filters by the code it was given)."""
    return Case.objects.select_related("category", "merged_into")


def grid_workers(grid: Node) -> list[str]:
    """The names of the grid's active workers, as the poster shows them."""
    return [
        membership.user.display_name or membership.user.username
        for membership in Membership.objects.filter(
            node=grid, role=Role.GRID_WORKER, is_active=True, user__is_active=True
        ).select_related("user")
    ]
