"""Calling the reporter back: the full number, for who makes the case's callbacks, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from wangge.cases.models import Case
from wangge.core import audit
from wangge.core.errors import ValidationError
from wangge.core.services import allowed, check_scope
from wangge.people.services import check_purpose

if TYPE_CHECKING:
    from wangge.accounts.models import User


def may_reveal_reporter(user: User | None, case: Case) -> bool:
    """Whether ``user`` may see the reporter's full number: who makes the case's callbacks
    (``cases.close_case`` where it lies)."""
    return bool(case.reporter_phone) and allowed(user, Case, "close", path=case.grid.path)


@transaction.atomic
def reveal_reporter(*, actor: User | None, case: Case, purpose: str) -> str:
    """The reporter's full phone number, to call them back. The purpose is required and
    audited; who may not make the case's callbacks gets a 404, as for a case out of reach."""
    check_scope(actor, case, "view", path=case.grid.path)
    check_scope(actor, case, "close", path=case.grid.path)
    purpose = check_purpose(purpose)
    if not case.reporter_phone:
        raise ValidationError({"reporter_phone": gettext("The reporter left no phone number")})
    audit.record(
        actor=actor,
        action="cases.case.revealed",
        target=case,
        node=case.grid,
        after={"field": "reporter_phone"},
        reason=purpose,
    )
    return case.reporter_phone
