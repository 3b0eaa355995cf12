"""A place's own visit rules (走访频次): a community or street sets how often people with a care
tag are visited there, replacing the defaults for that tag; the plans of everyone it touches
follow in the same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit, inputs
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope
from wangge.fieldwork import plans
from wangge.fieldwork.models import VisitRule
from wangge.territory.choices import NodeKind

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.people.models import CareTag
    from wangge.territory.models import Node

MAX_DAYS = 366
PLACE_KINDS = {NodeKind.DISTRICT, NodeKind.STREET, NodeKind.COMMUNITY}


def check_rule(
    *,
    node: Node | None,
    every_days: object,
    window_days: object,
    min_age: object,
    max_disability_grade: object,
    note: str,
) -> dict[str, int | str | None]:
    errors: dict[str, str] = {}
    values: dict[str, int | str | None] = {}

    def whole(name: str, value: object, low: int, high: int, *, optional: bool) -> None:
        if value in (None, "") and optional:
            values[name] = None
            return
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            errors[name] = gettext("Give a whole number")
            return
        if not low <= number <= high:
            errors[name] = gettext("Give a number from %(low)s to %(high)s") % {
                "low": low,
                "high": high,
            }
            return
        values[name] = number

    if node is not None and node.kind not in PLACE_KINDS:  # None: the defaults
        errors["node"] = gettext("Visit rules are set for a district, a street or a community")
    whole("every_days", every_days, 1, MAX_DAYS, optional=False)
    whole("window_days", window_days if window_days is not None else 0, 0, 90, optional=False)
    whole("min_age", min_age, 0, 130, optional=True)
    whole("max_disability_grade", max_disability_grade, 1, 4, optional=True)
    inputs.check_lengths(errors, VisitRule, {"note": note})
    if errors:
        raise ValidationError(errors)
    values["note"] = note.strip()
    return values


@transaction.atomic
def set_visit_rule(
    *,
    actor: User | None,
    node: Node,
    tag: CareTag,
    every_days: object,
    window_days: object = 0,
    min_age: object = None,
    max_disability_grade: object = None,
    note: str = "",
    reason: str = "",
) -> tuple[VisitRule, bool]:
    """The place's rule for ``tag`` under these conditions, made or changed (one per place, tag,
    age and grade), and whether it was made; the plans of the tagged persons living there are
    recomputed."""
    values = check_rule(
        node=node,
        every_days=every_days,
        window_days=window_days,
        min_age=min_age,
        max_disability_grade=max_disability_grade,
        note=note,
    )
    check_scope(actor, VisitRule(), "change", path=node.path)
    rule = (
        VisitRule.objects.select_for_update()
        .filter(
            node=node,
            tag=tag,
            min_age=values["min_age"],
            max_disability_grade=values["max_disability_grade"],
        )
        .first()
    )
    before = audit.snapshot(rule) if rule else None
    if rule is None:
        rule = VisitRule(node=node, tag=tag)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.is_active = True
    if before is not None and audit.snapshot(rule) == before:
        return rule, False  # nothing changes, nothing to record
    rule.save()
    audit.record(
        actor=actor,
        action="fieldwork.visitrule.updated" if before else "fieldwork.visitrule.created",
        target=rule,
        node=node,
        before=before,
        after=audit.snapshot(rule),
        reason=reason,
    )
    plans.recompute(plans.in_places([node.path]))
    return rule, before is None


@transaction.atomic
def remove_visit_rule(*, actor: User | None, rule: VisitRule, reason: str = "") -> None:
    """A place's rule removed: the defaults (or the place above's rules) hold there again.
    The defaults themselves are changed, never removed, by the district in the admin."""
    node = rule.node
    if node is None:
        raise ValidationError({"rule": gettext("The defaults are changed, not removed")})
    check_scope(actor, rule, "delete", path=node.path)
    before = audit.snapshot(rule)
    audit.record(
        actor=actor,
        action="fieldwork.visitrule.deleted",
        target=rule,
        node=node,
        before=before,
        reason=reason,
    )
    rule.delete()
    plans.recompute(plans.in_places([node.path]))
