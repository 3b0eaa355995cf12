"""The form engine: typed questions and the checking of answers.

Category attributes use it now (and Open311 service definitions are drawn from it);
checklists and surveys will. Answers are stored as JSON, keyed by question code.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, pgettext

from wangge.core.models import Form, Question

Kind = Question.Kind
_TRUE = {"true", "1", "yes", "是", "有", "y"}
_FALSE = {"false", "0", "no", "否", "无", "n"}
MAX_STRING = 200
MAX_TEXT = 4000


def questions(form: Form | None) -> list[Question]:
    if form is None:
        return []
    cached = getattr(form, "_questions", None)
    if cached is None:
        cached = list(form.questions.all())
        form._questions = cached
    return cached


def _choice_keys(question: Question) -> dict[str, str]:
    keys = {}
    for choice in question.choices or []:
        keys[str(choice["key"])] = str(choice["key"])
        keys[str(choice.get("name", choice["key"]))] = str(choice["key"])
    return keys


def clean_answer(question: Question, value):
    """The answer in its stored form, or ``ValueError`` with the reason in words."""
    kind = question.kind
    if kind in (Kind.STRING, Kind.TEXT):
        text = str(value).strip()
        limit = MAX_STRING if kind == Kind.STRING else MAX_TEXT
        if len(text) > limit:
            raise ValueError(gettext("may have at most %(n)s characters") % {"n": limit})
        return text
    if kind == Kind.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(gettext("should be a number")) from exc
        if question.minimum is not None and number < question.minimum:
            raise ValueError(gettext("may not be less than %(n)s") % {"n": f"{question.minimum:g}"})
        if question.maximum is not None and number > question.maximum:
            raise ValueError(gettext("may not be more than %(n)s") % {"n": f"{question.maximum:g}"})
        return int(number) if number.is_integer() else number
    if kind == Kind.DATETIME:
        moment = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
        if moment is None:
            raise ValueError(gettext("should be a time like 2026-01-31T14:00:00+08:00"))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat()
    if kind == Kind.SINGLE:
        keys = _choice_keys(question)
        if str(value) not in keys:
            names = pgettext("list separator", ", ").join(c["name"] for c in question.choices)
            raise ValueError(gettext("is not one of the choices (%(names)s)") % {"names": names})
        return keys[str(value)]
    if kind == Kind.MULTI:
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        keys = _choice_keys(question)
        chosen = []
        for item in items:
            item = str(item).strip()
            if not item:
                continue
            if item not in keys:
                raise ValueError(gettext("“%(item)s” is not one of the choices") % {"item": item})
            chosen.append(keys[item])
        return sorted(set(chosen))
    if kind == Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(gettext("should be yes or no"))
    raise ValueError(f"unknown question kind {kind}")


def clean_answers(form: Form | None, data: dict | None) -> tuple[dict, dict]:
    """Check answers against a form: (answers as stored, errors by question code)."""
    data = dict(data or {})
    clean, errors = {}, {}
    known = {question.code: question for question in questions(form)}
    for code in data:
        if code not in known:
            errors[code] = gettext("No such question")
    for code, question in known.items():
        value = data.get(code)
        if value in (None, "", []):
            if question.required:
                errors[code] = gettext("“%(question)s” must be answered") % {
                    "question": question.label
                }
            continue
        try:
            clean[code] = clean_answer(question, value)
        except ValueError as exc:
            errors[code] = gettext("“%(question)s” %(problem)s") % {
                "question": question.label,
                "problem": exc,
            }
    return clean, errors


def answer_text(question: Question, value, *, yes=None, no=None) -> str:
    """A stored answer in words: choices by their names, several joined with 、."""
    if isinstance(value, bool):
        return str((yes or gettext("Yes")) if value else (no or gettext("No")))
    names = {str(c["key"]): str(c.get("name", c["key"])) for c in question.choices or []}
    if isinstance(value, list):
        return "、".join(names.get(str(item), str(item)) for item in value)
    return names.get(str(value), str(value))


def open311_attributes(form: Form | None) -> list[dict]:
    """The questions as Open311 GeoReport v2 service definition attributes."""
    attributes = []
    for order, question in enumerate(questions(form), start=1):
        kind = question.kind if question.kind != Kind.BOOLEAN else Kind.SINGLE
        entry = {
            "variable": True,
            "code": question.code,
            "datatype": kind,
            "required": question.required,
            "datatype_description": question.help or None,
            "order": order,
            "description": question.label,
        }
        if question.kind == Kind.BOOLEAN:
            entry["values"] = [
                {"key": "true", "name": gettext("Yes")},
                {"key": "false", "name": gettext("No")},
            ]
        elif question.kind in (Kind.SINGLE, Kind.MULTI):
            entry["values"] = [
                {"key": str(c["key"]), "name": str(c.get("name", c["key"]))}
                for c in question.choices
            ]
        attributes.append(entry)
    return attributes


def form_field(question: Question):
    """A Django form field asking ``question`` on a page.

    Never required by the field itself: a page may carry the questions of several forms and
    only the chosen one's count, so ``clean_answers`` says what is missing.
    """
    from django import forms
    from django.utils.translation import gettext_lazy as _

    from wangge.core.forms import LongText

    common = {"label": question.label, "required": False, "help_text": question.help}
    choices = [
        (str(choice["key"]), choice.get("name", choice["key"])) for choice in question.choices
    ]
    if question.kind == Kind.TEXT:
        return forms.CharField(max_length=MAX_TEXT, widget=LongText(attrs={"rows": 3}), **common)
    if question.kind == Kind.NUMBER:
        return forms.FloatField(min_value=question.minimum, max_value=question.maximum, **common)
    if question.kind == Kind.DATETIME:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common
        )
    if question.kind == Kind.SINGLE:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if question.kind == Kind.MULTI:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if question.kind == Kind.BOOLEAN:
        return forms.ChoiceField(
            choices=[("true", _("Yes")), ("false", _("No"))], widget=forms.RadioSelect, **common
        )
    return forms.CharField(max_length=MAX_STRING, **common)
