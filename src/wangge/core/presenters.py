"""How audit events read on a page: actions, objects, places and changes in words."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from wangge.core.models import AuditEvent

ACTION_LABELS = {
    "territory.node.created": _("Territory node added"),
    "territory.node.updated": _("Territory node changed"),
    "territory.building.created": _("Building added"),
    "territory.building.updated": _("Building changed"),
    "territory.building.moved": _("Building moved to another grid"),
    "people.household.created": _("Household registered"),
    "people.household.updated": _("Household changed"),
    "people.household.moved": _("Household moved to its building's new grid"),
    "people.person.created": _("Person registered"),
    "people.person.updated": _("Person changed"),
    "people.person.moved": _("Person moved to their building's new grid"),
    "people.person.care_tags_set": _("Care tags set"),
    "people.person.revealed": _("Full number viewed"),
    "people.visit.created": _("Visit recorded"),
    "accounts.user.created": _("User added"),
    "accounts.user.signed_in": _("Signed in"),
    "accounts.token.issued": _("API token issued"),
    "accounts.token.revoked": _("API token revoked"),
    "accounts.membership.added": _("Role given"),
    "accounts.membership.ended": _("Role ended"),
    "core.import.completed": _("Spreadsheet imported"),
    "core.export.downloaded": _("Spreadsheet exported"),
    "core.view.saved": _("List view saved"),
    "core.view.deleted": _("List view deleted"),
    "core.notification.read": _("Notification read"),
}
REASON_LABELS = {"demo": _("demo data"), "import": _("import"), "admin": _("administration")}
MAX_CHANGES = 8


@dataclass
class Change:
    field: str
    before: str
    after: str


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _model(target_type: str):
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name.removesuffix("_id"))
    except FieldDoesNotExist:
        return None
    # A change's key that happens to be a reverse relation's name ("points": a count) is no
    # field of the row: it has no label of its own and its value names no row.
    return None if field.auto_created and not field.concrete else field


def _field_label(model, name: str) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name


def _readable(model, user):
    """Where names may be read from: within scope for scoped models."""
    if hasattr(model, "scope_field"):
        return model.objects.restrict(user, "view")
    return model._base_manager


def _related_names(events, user) -> dict[tuple, str]:
    """Names for the ids in the page's changes (grid 123 → 第1网格), one query per model."""
    wanted: dict = {}
    for event in events:
        model = _model(event.target_type)
        for values in (event.before or {}, event.after or {}):
            for key, value in values.items():
                field = _field(model, key)
                if field is not None and field.is_relation and isinstance(value, int):
                    wanted.setdefault(field.related_model, set()).add(value)
    names = {}
    for related, ids in wanted.items():
        for pk, obj in _readable(related, user).in_bulk(ids).items():
            names[related, pk] = str(obj)
    return names


def _value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "、".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        return "，".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def changes(event, names: dict | None = None) -> list[Change]:
    """Field by field, in words; at most ``MAX_CHANGES`` (the API has them all)."""
    model = _model(event.target_type)
    names = names or {}
    before, after = event.before or {}, event.after or {}

    def shown(key, value):
        field = _field(model, key)
        if field is not None and field.is_relation and isinstance(value, int):
            return names.get((field.related_model, value), f"#{value}")
        if field is not None and field.choices and value not in (None, ""):
            return str(dict(field.flatchoices).get(value, value))
        return _value(value)

    keys = list(dict.fromkeys([*after, *before]))
    return [
        Change(
            _field_label(model, key),
            shown(key, before.get(key)) if before else "",
            shown(key, after.get(key)),
        )
        for key in keys[:MAX_CHANGES]
    ]


def target_label(event) -> str:
    model = _model(event.target_type)
    kind = str(model._meta.verbose_name) if model is not None else ""
    return f"{kind} · {event.target_repr}" if kind and event.target_repr else event.target_repr


def places(events, user) -> dict[int, str]:
    """``community / grid`` for each event's node, in one query."""
    Node = AuditEvent._meta.get_field("node").related_model  # territory's, above core
    ids = set()
    for event in events:
        if event.node is not None:
            ids.update(event.node.ancestor_ids[-1:])  # the parent gives enough context
    parents = Node.objects.restrict(user, "view").in_bulk(ids)
    result = {}
    for event in events:
        node = event.node
        if node is None:
            continue
        parent = parents.get(node.ancestor_ids[-1]) if node.ancestor_ids else None
        result[event.pk] = f"{parent.name} / {node.name}" if parent else node.name
    return result


def actor_label(event) -> str:
    """The actor's name; the system (the CLI, the demo builder) in words."""
    if event.actor_id is None and event.actor_name.startswith("system"):
        return f"{_('System')}{event.actor_name.removeprefix('system')}"
    return event.actor_name


def present(events, user) -> list[dict]:
    where = places(events, user)
    names = _related_names(events, user)
    return [
        {
            "event": event,
            "action": action_label(event.action),
            "actor": actor_label(event),
            "target": target_label(event),
            "place": where.get(event.pk, ""),
            "reason": str(REASON_LABELS.get(event.reason, event.reason)),
            "changes": changes(event, names),
            "more": max(0, len({*(event.after or {}), *(event.before or {})}) - MAX_CHANGES),
        }
        for event in events
    ]
