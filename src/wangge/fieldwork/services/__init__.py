"""Field work's writes, each with its audit event (``core.audit``) in its transaction: visit
rules, inspection campaigns, the grid team and its errands (帮办代办), disputes and mediation."""

from wangge.fieldwork.services.campaigns import *  # noqa: F403 (its __all__)
from wangge.fieldwork.services.campaigns import __all__ as _campaigns
from wangge.fieldwork.services.disputes import (
    PartySpec,
    close_dispute,
    create_dispute,
    print_agreement,
    record_follow_up,
    record_outcome,
    record_session,
    sign_agreement,
)
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
from wangge.fieldwork.services.visit_rules import remove_visit_rule, set_visit_rule

__all__ = [
    *_campaigns,
    "PartySpec",
    "accept_errand",
    "add_team_member",
    "assign_building",
    "assign_errand",
    "cancel_errand",
    "close_dispute",
    "create_dispute",
    "print_agreement",
    "raise_errand",
    "rate_errand",
    "record_errand_done",
    "record_follow_up",
    "record_outcome",
    "record_session",
    "remove_visit_rule",
    "set_team_contact",
    "set_visit_rule",
    "sign_agreement",
    "unassign_building",
]
