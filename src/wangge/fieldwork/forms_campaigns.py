"""The forms of inspection campaigns: a new campaign (its place picked by name from the
caller's communities and streets, its checklist from the templates by name, its window from
the date picker), a team's members by name, and a check (the checklist's questions, asked by
the form engine, a note and photos). The services judge the input; their errors land on the
fields they name, and what was typed is kept."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.core import formspec
from wangge.core.widgets import DayInput
from wangge.fieldwork.models import Checklist
from wangge.territory.choices import COMMUNITY_KINDS, STREET_KINDS
from wangge.territory.pickers import place_choices, place_picker


class PhotosInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one file input (a list; empty when none were chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            PhotosInput(
                attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(upload, initial) for upload in files if upload]


class ServiceErrors:
    def add_service_errors(self, exc) -> None:
        for name, errors in exc.message_dict.items():
            field = name.removeprefix("answers.") if name.startswith("answers.") else name
            field = {"node": "place", "lng": None}.get(field, field)
            self.add_error(field if field in self.fields else None, errors)  # type: ignore[attr-defined]


class CampaignForm(ServiceErrors, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. safety check before the blizzard")}),
    )
    checklist = forms.ModelChoiceField(
        label=_("Checklist"),
        queryset=Checklist.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=None,
    )
    place = forms.ChoiceField(label=_("Place"))
    starts_on = forms.DateField(label=_("First day"), widget=DayInput)
    ends_on = forms.DateField(label=_("Last day"), widget=DayInput)
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = list(STREET_KINDS | COMMUNITY_KINDS)
        field = self.fields["place"]
        field.choices = place_choices(user, kinds, empty="—")
        field.widget = place_picker(user, kinds=kinds, empty="—")
        field.help_text = _("A community or a street: one team is made for each of its grids.")
        self.fields["checklist"].label_from_instance = lambda checklist: checklist.name
        if not self.is_bound:
            today = datetime.date.today()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", today + datetime.timedelta(days=7))


class CheckForm(ServiceErrors, forms.Form):
    """The checklist's questions, then a note and photos."""

    def __init__(self, *args, form, **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = []
        for question in formspec.questions(form):
            field = formspec.form_field(question)
            if question.kind == question.Kind.BOOLEAN:
                field.widget.attrs["class"] = "yes-no"
            self.fields[question.code] = field
            self.codes.append(question.code)
        self.fields["note"] = forms.CharField(
            label=_("Note (optional)"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        self.fields["photos"] = PhotosField(
            label=_("Photos (optional)"), help_text=_("At most 4 photos (JPEG, PNG or WebP).")
        )
        self.fields["key"] = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def answers(self) -> dict:
        data = self.cleaned_data
        return {code: data.get(code) for code in self.codes if data.get(code) not in (None, "", [])}

    def question_fields(self):
        return [self[code] for code in self.codes]

    @property
    def photos_dropped(self) -> bool:
        return self.is_bound and bool(self.files.getlist("photos"))
