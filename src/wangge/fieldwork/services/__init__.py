"""Field work's writes, each with its audit event (``core.audit``) in its transaction."""

from wangge.fieldwork.services.patrols import (  # noqa: F401 (patrols)
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

__all__ = ["remove_visit_rule", "set_visit_rule"]
