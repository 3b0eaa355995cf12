"""What people may type, and the one check of it.

Every text a person types has a limit: a ``CharField`` its ``max_length``, a ``TextField`` the
``max_length`` given below (Django hands it to forms and the admin; the database does not hold
it to it, so the services check). Over-long text is refused with a message naming the field
and its limit — never cut. Only what the system composes itself (an SMS subject, a title made
from the description, an audit event's summary of a note) is shortened, and says so where it
is done. A value that must be one of a list (a coordinate system, a channel, a kind) is
refused naming the field, the value and what it may be.

The user guide (section "How much you may type") lists these limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext

# Handling notes, results, instructions, reasons, comments, visit notes, a reviewer's note.
NOTE = 2000
# What a problem is: a case's description (Open311's own limit for ``description``), a
# category's, a care tag's or a place's description.
DESCRIPTION = 4000
# A notice's text (and a notice template's): longer than a note, it may carry a whole policy.
NOTICE = 5000
# Why someone reveals a full phone or ID number (kept in the audit log).
PURPOSE = 500


def too_long(limit: int, count: int, label: str | Promise | None = None) -> str:
    """The words for text that is too long: its field (when given), the limit, the count."""
    if label:
        return gettext("%(field)s may have at most %(n)s characters (it has %(count)s)") % {
            "field": label,
            "n": limit,
            "count": count,
        }
    return gettext("At most %(n)s characters (it has %(count)s)") % {"n": limit, "count": count}


def check_length(
    errors: dict,
    field: str,
    value: object,
    limit: int | None,
    label: str | Promise | None = None,
) -> None:
    """Add ``field``'s error to ``errors`` when ``value`` is text longer than ``limit``."""
    if limit is not None and isinstance(value, str) and len(value) > limit:
        errors.setdefault(field, too_long(limit, len(value), label))


def _own_field(model: type[models.Model], name: str) -> models.Field:
    """The model's field ``name``; a relation seen from its other side has no limit to give."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not one of the model's own fields")
    return field


def limit_of(model: type[models.Model], name: str) -> int | None:
    return _own_field(model, name).max_length


def check_lengths(
    errors: dict, model: type[models.Model], values: dict, *, names: dict | None = None
) -> None:
    """Check text ``values`` (field name → value) against ``model``'s fields' limits; an error
    is keyed by ``names[field]`` where the caller calls the field otherwise."""
    for name, value in values.items():
        field = _own_field(model, name)
        key = (names or {}).get(name, name)
        check_length(errors, key, value, field.max_length, field.verbose_name)


def field(model: type[models.Model], name: str, default: str = "", **extra: Any) -> Any:
    """An API schema's text field with the limit of ``model``'s field ``name`` (so the API's
    document tells it, and a longer value is refused before anything is looked up)."""
    from ninja import Field

    return Field(default, max_length=limit_of(model, name), **extra)


def unknown(value: object, allowed: Iterable[object]) -> str:
    """The words for a value that is not one of ``allowed`` (codes)."""
    return gettext("Unknown value “%(value)s” (it may be: %(allowed)s)") % {
        "value": value,
        "allowed": pgettext("list separator", ", ").join(str(item) for item in allowed),
    }


def check_choice(
    errors: dict, field: str, value: object, choices: type[models.TextChoices]
) -> None:
    """Add ``field``'s error when ``value`` is not one of ``choices`` (a ``TextChoices``)."""
    if value not in choices.values:
        errors.setdefault(field, unknown(value, choices.values))


def no_nul(errors: dict, values: dict) -> None:
    """A NUL character is refused (PostgreSQL cannot store it in text)."""
    for field, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            errors.setdefault(field, gettext("Null characters are not allowed."))
