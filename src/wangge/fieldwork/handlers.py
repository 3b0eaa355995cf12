"""What field work does when the register changes (``core.events``): the visit plans of the
persons concerned follow at once, in the same transaction."""

from __future__ import annotations

from typing import Any

from wangge.core import events
from wangge.fieldwork import plans


@events.on(events.PERSONS_CHANGED)
def replan_persons(*, person_ids: list[int], **_: Any) -> None:
    plans.recompute(person_ids)


@events.on(events.VISITS_RECORDED)
def replan_visited(*, household_ids: list[int], **_: Any) -> None:
    plans.recompute(plans.for_households(household_ids))
