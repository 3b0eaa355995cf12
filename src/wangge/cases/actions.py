"""What a move needs besides the case, from a request: the API's JSON and the pages' forms
name the same things (ids of people, teams, agencies, cases), looked up here within the
caller's reach."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from wangge.accounts.models import User
from wangge.cases import public_text
from wangge.cases.models import Agency, Case, Category, Extension, Team
from wangge.core.errors import ValidationError


def current_category(value) -> Category:
    """A category of the current tree by code or id."""
    categories = Category.objects.filter(tree__is_current=True)
    found = (
        categories.filter(pk=int(value)).first()
        if str(value).isdigit()
        else categories.filter(code=value).first()
    )
    if found is None:
        raise ValidationError({"category": gettext("No category “%(value)s”") % {"value": value}})
    return found


def arguments(
    user,
    case: Case,
    *,
    note: str = "",
    reply: str = "",
    assignees=(),
    team: int | None = None,
    agency: int | None = None,
    rating: str = "",
    target: int | None = None,
    category: str | None = None,
    kind: str = "",
    amount: Decimal | None = None,
    unit: str = "working_days",
    extension: int | None = None,
    approve: bool | None = None,
    project_ref: str = "",
    parked_until: datetime.date | None = None,
) -> dict:
    """``services.act`` keywords: referenced objects looked up (a case, a team out of reach
    is a 404; an unknown person a validation error)."""
    kwargs = {
        "note": note,
        "reply": reply,
        "rating": rating,
        "kind": kind,
        "amount": amount,
        "unit": unit,
        "approve": approve,
        "project_ref": project_ref,
        "parked_until": parked_until,
    }
    if assignees:
        wanted = {int(pk) for pk in assignees}
        users = list(User.objects.filter(is_active=True, pk__in=wanted))
        if len(users) != len(wanted):
            raise ValidationError({"assignees": gettext("No such person to handle it")})
        kwargs["assignees"] = users
    if team is not None:
        kwargs["team"] = get_object_or_404(Team.objects.restrict(user, "view"), pk=team)
    if agency is not None:
        kwargs["agency"] = get_object_or_404(Agency, pk=agency, is_active=True)
    if target is not None:
        kwargs["target"] = get_object_or_404(Case.objects.restrict(user, "view"), pk=target)
    if category is not None:
        kwargs["category"] = current_category(category)
    if extension is not None:
        kwargs["extension"] = get_object_or_404(Extension, pk=extension, case=case)
    return kwargs


def from_form(user, case: Case, data) -> dict:
    """``arguments`` from a page's POST (strings; a merge names the case by its number)."""
    errors = {}

    def number(name, kind=int):
        value = (data.get(name) or "").strip()
        if not value:
            return None
        try:
            return kind(value)
        except (ValueError, InvalidOperation):
            errors[name] = gettext("Should be a number")
            return None

    target = None
    if (data.get("target") or "").strip():
        found = (
            Case.objects.restrict(user, "view")
            .filter(number=data["target"].strip())
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            errors["target"] = gettext("No case numbered %(number)s") % {
                "number": data["target"].strip()
            }
        target = found
    parked_until = None
    if (data.get("parked_until") or "").strip():
        try:
            parked_until = datetime.date.fromisoformat(data["parked_until"].strip())
        except ValueError:
            errors["parked_until"] = gettext("Write the date like 2027-03-01")
    approve = {"true": True, "false": False}.get(data.get("approve") or "")
    values = {
        "note": (data.get("note") or "").strip(),
        "reply": public_text.reply_from_form(data),
        "assignees": [pk for pk in data.getlist("assignees") if pk.isdigit()],
        "team": number("team"),
        "agency": number("agency"),
        "rating": data.get("rating") or "",
        "target": target,
        "category": (data.get("category") or "").strip() or None,
        "kind": data.get("kind") or "",
        "amount": number("amount", Decimal),
        "unit": data.get("unit") or "working_days",
        "extension": number("extension"),
        "approve": approve,
        "project_ref": (data.get("project_ref") or "").strip(),
        "parked_until": parked_until,
    }
    if errors:
        raise ValidationError(errors)
    return arguments(user, case, **values)
