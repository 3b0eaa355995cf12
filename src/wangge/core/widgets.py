"""Widgets of the filter forms: nobody types an id.

``TreeSelect`` is a plain ``<select>`` (it works without script) of a tree — categories,
places — each option indented by its level and carrying the words it is found by;
``static/js/picker.js`` adds a search box that shows the matches with what lies above and
below them. ``YesNoSelect`` reads 全部/是/否, ``DayInput`` is the browser's date picker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

INDENT = "\u3000"  # an ideographic space: the indent of a level in a tree's option


@dataclass(frozen=True)
class TreeOption:
    value: str
    name: str
    level: int = 0
    words: str = ""  # what else it is found by: the names above it, its code


class TreeChoices(list):
    """``(value, label)`` pairs, as a ``Select`` takes them, that know their tree: each
    option's level and the words it is found by."""

    def __init__(self, options: list[TreeOption], empty: str):
        self.options = {option.value: option for option in options}
        super().__init__(
            [("", empty)]
            + [(option.value, INDENT * option.level + option.name) for option in options]
        )


class TreeSelect(forms.Select):
    """A tree as a select, searchable by name with ``static/js/picker.js``."""

    def __init__(self, attrs=None, choices=(), search_label=""):
        attrs = {"data-picker": "", **(attrs or {})}
        if search_label:
            attrs["data-picker-label"] = str(search_label)
        super().__init__(attrs, choices)
        self.tree = getattr(choices, "options", {})

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        found = self.tree.get(str(value))
        if found is not None:
            option["attrs"]["data-level"] = str(found.level)
            option["attrs"]["data-words"] = found.words
        return option

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        attrs = context["widget"]["attrs"]
        attrs.setdefault("data-picker-placeholder", str(_("Search by name")))
        attrs.setdefault("data-picker-none", str(_("Nothing by that name.")))
        return context


class YesNoSelect(forms.NullBooleanSelect):
    """A yes/no filter: 全部 (no filter, the default), 是, 否."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]

    def format_value(self, value):
        return {True: "true", False: "false", "true": "true", "false": "false"}.get(value, "")


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")


class DayInput(forms.DateInput):
    """The browser's date picker; a moment given in the URL (the API's ISO date-time) shows
    as its day."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

    def format_value(self, value):
        if isinstance(value, str) and _MOMENT.match(value):
            return value[:10]
        return super().format_value(value)
