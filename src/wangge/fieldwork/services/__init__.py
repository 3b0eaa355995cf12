"""Field work's writes, each with its audit event (``core.audit``) in its transaction."""

from wangge.fieldwork.services.visit_rules import remove_visit_rule, set_visit_rule

__all__ = ["remove_visit_rule", "set_visit_rule"]

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

__all__ += [
    "PartySpec",
    "close_dispute",
    "create_dispute",
    "print_agreement",
    "record_follow_up",
    "record_outcome",
    "record_session",
    "sign_agreement",
]
