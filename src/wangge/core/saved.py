"""Saved views: a list's filters kept under a name by one user, offered above that list.

Lists register themselves by a short key and the URL name of their page (``LISTS``). A saved
view holds only the query string; what it shows is read through the user's scope each time,
so a view saved by someone who later moves to another grid shows that grid's cases.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.errors import ValidationError, not_found
from wangge.core.models import SavedView

# list key → URL name of its page (the page includes ``{% list_tools "<key>" %}``).
LISTS: dict[str, str] = {
    "cases": "case-console-list",
    "found": "found-list",
    "visits": "visit-plan-list",
    "campaigns": "campaign-list",
    "errands": "errand-list",
    "grid-team": "grid-team",
    "disputes": "dispute-list",
    "patrols": "patrol-list",
    "notices": "notice-list",
    "buildings": "registry-buildings",
    "households": "registry-households",
    "persons": "registry-persons",
    "audit": "audit-list",
}
MAX_PER_LIST = 20
# Query parameters that are about the page, not what it shows.
_NOT_FILTERS = {"page", "csrfmiddlewaretoken"}


def clean_query(query: str) -> str:
    """The filters of a query string, in a stable form, without paging."""
    pairs = [
        (k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k not in _NOT_FILTERS
    ]
    return urlencode(pairs)


def url(view: SavedView) -> str:
    return f"{reverse(LISTS[view.page])}?{view.query}" if view.query else reverse(LISTS[view.page])


def views_for(user, page: str):
    return SavedView.objects.filter(user=user, page=page).order_by("name")


def save_view(*, actor, page: str, name: str, query: str) -> SavedView:
    """Keep ``query`` as ``name`` on the list ``page``; the same name again replaces it."""
    name = (name or "").strip()
    errors = {}
    if page not in LISTS:
        raise not_found()
    if not name:
        errors["name"] = _("Give the view a name.")
    elif len(name) > SavedView._meta.get_field("name").max_length:
        errors["name"] = _("The name is too long (at most 40 characters).")
    query = clean_query(query)
    if len(query) > SavedView._meta.get_field("query").max_length:
        errors["query"] = _("These filters are too long to keep.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        existing = (
            SavedView.objects.select_for_update().filter(user=actor, page=page, name=name).first()
        )
        if existing is None:
            if views_for(actor, page).count() >= MAX_PER_LIST:
                raise ValidationError(
                    {
                        "name": _("You keep %(n)s views on this list already; delete one first.")
                        % {"n": MAX_PER_LIST}
                    }
                )
            try:
                with transaction.atomic():
                    view = SavedView.objects.create(user=actor, page=page, name=name, query=query)
            except IntegrityError:  # saved at the same moment from another tab
                view = SavedView.objects.get(user=actor, page=page, name=name)
            before = None
        else:
            before = {"query": existing.query}
            existing.query = query
            existing.save(update_fields=["query"])
            view = existing
        audit.record(
            actor=actor,
            action="core.view.saved",
            target=view,
            before=before,
            after={"page": page, "name": name, "query": query},
        )
    return view


def delete_view(*, actor, view: SavedView) -> None:
    if view.user_id != actor.pk:
        raise not_found()
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="core.view.deleted",
            target=view,
            before={"page": view.page, "name": view.name, "query": view.query},
        )
        view.delete()
