"""How an errand (帮办代办) is shown: the person named as the viewer's role allows (a helper
who may not read the register sees the surname only), their address (the helper goes there),
never their number."""

from __future__ import annotations

from wangge.core.scope import get_scope
from wangge.fieldwork.models import CareRequest, ErrandState, RatingWay
from wangge.people.presenters import household_address


def mask_name(name: str) -> str:
    """``王秀英`` → ``王**``: the surname, enough to greet them at the door."""
    name = name or ""
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


def may_read_person(user, errand: CareRequest) -> bool:
    return get_scope(user).allows("people.view_person", errand.grid.path)


def person_name(errand: CareRequest, user) -> str:
    name = errand.person.name
    return name if may_read_person(user, errand) else mask_name(name)


def address(errand: CareRequest) -> str:
    household = errand.person.household
    return household_address(household) if household is not None else ""


def errand_data(errand: CareRequest, user) -> dict:
    return {
        "id": errand.pk,
        "person_id": errand.person_id,
        "person_name": person_name(errand, user),
        "address": address(errand),
        "grid": errand.grid.code,
        "grid_name": errand.grid.name,
        "kind": errand.kind.code,
        "kind_name": errand.kind.name,
        "description": errand.description,
        "source": errand.source,
        "state": errand.state,
        "state_label": str(ErrandState(errand.state).label),
        "wanted_by": errand.wanted_by,
        "raised_at": errand.raised_at,
        "raised_by": errand.raised_by.name if errand.raised_by_id else "",
        "helper_id": errand.assignee_id,
        "helper": errand.assignee.name if errand.assignee_id else "",
        "assigned_at": errand.assigned_at,
        "accepted_at": errand.accepted_at,
        "done_at": errand.done_at,
        "minutes": errand.minutes,
        "done_note": errand.done_note,
        "has_photo": bool(errand.photo),
        "rating": errand.rating,
        "rating_words": errand.rating_words,
        "rating_way": errand.rating_way,
        "rating_way_label": str(RatingWay(errand.rating_way).label) if errand.rating_way else "",
        "rated_by": errand.rated_by.name if errand.rated_by_id else "",
        "rated_at": errand.rated_at,
        "cancel_reason": errand.cancel_reason,
    }
