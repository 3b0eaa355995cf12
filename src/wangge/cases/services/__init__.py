"""Writing cases: intake on every channel, every move of the loop, the deadline sweep.

Each function is keyword-only and atomic; it checks scope and the state machine, writes the
case's timeline (``CaseEvent``), its audit event and its roll-up counts in one transaction,
and announces every step as the domain event ``case.changed`` (``core.events``) for the apps
above to act on in that transaction: cases knows nothing of who listens.

By concern: ``intake`` (``report``), ``moves`` (``act``, ``rate_by_tracking_code``),
``deadlines`` (time limits, extensions, ``sweep``), ``timeline`` (``record_step``: the one
writer of a step), ``staff`` (escalation levels, notifications), ``callbacks``
(``reveal_reporter``). The names below are the services other modules
call, as ``services.report(...)``.
"""

from wangge.cases.machine import Refused
from wangge.cases.services.callbacks import may_reveal_reporter, reveal_reporter
from wangge.cases.services.deadlines import sweep
from wangge.cases.services.intake import MAX_DESCRIPTION, grid_by_id, phone_hash, report
from wangge.cases.services.moves import _my_task, act, rate_by_tracking_code
from wangge.cases.services.staff import level_above
from wangge.cases.services.timeline import case_snapshot
from wangge.core.errors import ValidationError

__all__ = [
    "MAX_DESCRIPTION",
    "Refused",
    "ValidationError",
    "_my_task",
    "act",
    "case_snapshot",
    "grid_by_id",
    "level_above",
    "may_reveal_reporter",
    "phone_hash",
    "rate_by_tracking_code",
    "report",
    "reveal_reporter",
    "sweep",
]
