"""A full ID or phone number shown, for a stated purpose, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit, inputs
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope
from wangge.people.models import Person

if TYPE_CHECKING:
    from wangge.accounts.models import User


REVEALABLE = {"id_number", "phone"}


def check_purpose(purpose: str) -> str:
    """The stated purpose of looking at a full number, trimmed: at least 4 characters and at
    most ``inputs.PURPOSE``, or refused naming ``purpose``. Every full number shown (a
    person's here, a case's reporter's in cases) is asked for the same way."""
    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        raise ValidationError({"purpose": gettext("Say why you look (at least 4 characters)")})
    errors: dict = {}
    inputs.check_length(errors, "purpose", purpose, inputs.PURPOSE)
    if errors:
        raise ValidationError(errors)
    return purpose


@transaction.atomic
def reveal(*, actor: User | None, person: Person, field: str, purpose: str) -> str:
    """Show an ID or phone number unmasked. The purpose is required and audited."""
    check_scope(actor, person, "view", path=person.grid.path)
    check_scope(actor, person, "reveal", path=person.grid.path)
    if field not in REVEALABLE:
        raise ValidationError({"field": gettext("Only the ID number or the phone can be shown")})
    purpose = check_purpose(purpose)
    audit.record(
        actor=actor,
        action="people.person.revealed",
        target=person,
        node=person.grid,
        after={"field": field},
        reason=purpose,
    )
    return getattr(person, field)
