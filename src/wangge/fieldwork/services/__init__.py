"""Field work's writes, each with its audit event (``core.audit``) in its transaction: visit
rules, patrols, inspection campaigns, the grid team and its errands (帮办代办), disputes and
mediation."""

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
from wangge.fieldwork.services.patrols import (
    cancel_patrol,
    create_checkpoint,
    create_patrol,
    finish_patrol,
    record_finding,
    record_trace,
    retire_checkpoint,
    scan_checkpoint,
    start_patrol,
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
    "cancel_patrol",
    "close_dispute",
    "create_checkpoint",
    "create_dispute",
    "create_patrol",
    "finish_patrol",
    "print_agreement",
    "raise_errand",
    "rate_errand",
    "record_errand_done",
    "record_finding",
    "record_follow_up",
    "record_outcome",
    "record_session",
    "record_trace",
    "remove_visit_rule",
    "retire_checkpoint",
    "scan_checkpoint",
    "set_team_contact",
    "set_visit_rule",
    "sign_agreement",
    "start_patrol",
    "unassign_building",
]
