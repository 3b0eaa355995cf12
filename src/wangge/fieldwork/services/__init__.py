"""Field work's writes, each with its audit event (``core.audit``) in its transaction."""

from wangge.fieldwork.services.campaigns import *  # noqa: F403 (its __all__)
from wangge.fieldwork.services.visit_rules import remove_visit_rule, set_visit_rule

__all__ = ["remove_visit_rule", "set_visit_rule"]
