"""Field work's writes, each with its audit event (``core.audit``) in its transaction."""

from wangge.fieldwork.services.campaigns import *  # noqa: F403 (its __all__)
from wangge.fieldwork.services.visit_rules import remove_visit_rule, set_visit_rule

__all__ = ["remove_visit_rule", "set_visit_rule"]

# The grid team and its errands (帮办代办).
from wangge.fieldwork.services.errands import (
    accept_errand,
    add_team_member,
    assign_building,
    assign_errand,
    cancel_errand,
    raise_errand,
    rate_errand,
    record_errand_done,
    set_team_contact,
    unassign_building,
)

__all__ += [
    "accept_errand",
    "add_team_member",
    "assign_building",
    "assign_errand",
    "cancel_errand",
    "raise_errand",
    "rate_errand",
    "record_errand_done",
    "set_team_contact",
    "unassign_building",
]
