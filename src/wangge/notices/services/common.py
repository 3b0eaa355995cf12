"""What every write of a notice shares: ``Refused``, the notice as its audit events record
it, and the notice locked, seen and allowed in every place it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext

from wangge.core import audit
from wangge.core.errors import not_found
from wangge.core.services import allowed
from wangge.notices.models import Notice

if TYPE_CHECKING:
    from wangge.accounts.models import User


class Refused(Exception):
    """The step is not allowed now (the notice's state, or who asks); ``str()`` says why."""


def notice_snapshot(notice: Notice) -> dict:
    extra = {}
    if notice.pk:
        extra = {
            "nodes": sorted(notice.nodes.values_list("pk", flat=True)),
            "buildings": sorted(notice.buildings.values_list("pk", flat=True)),
            "care_tags": sorted(notice.care_tags.values_list("pk", flat=True)),
        }
    return audit.snapshot(notice, extra=extra)


def _locked(notice: Notice) -> Notice:
    return (
        Notice.objects.select_for_update(of=("self",))
        .select_related("node", "kind")
        .get(pk=notice.pk)
    )


def _visible(actor: User | None, notice: Notice) -> None:
    """The actor may see the notice (whose places touch theirs), or it is "not found"."""
    if actor is not None and not Notice.objects.restrict(actor).filter(pk=notice.pk).exists():
        raise not_found()


def _may(actor: User | None, notice: Notice, action: str) -> None:
    """The actor may ``action`` the notice in every place it is for."""
    places = [node.path for node in notice.nodes.all()]
    places += [building.grid.path for building in notice.buildings.select_related("grid")]
    for path in places:
        if not allowed(actor, Notice, action, path=path):
            raise Refused(gettext("You may not do this for every place the notice is for"))
