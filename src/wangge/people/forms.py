"""The forms of the register's pages: a household, a person, a visit. They shape the input
and pick by name (a dwelling from its building's units, a case from the household's own);
the services judge it and name what is wrong, and a refused form shows what was typed."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.forms import ServiceErrorsMixin
from wangge.people.choices import (
    DisabilityCategory,
    DisabilityGrade,
    PersonStatus,
    Relation,
    ResidenceType,
    Sex,
    VisitKind,
)
from wangge.people.services import NOTE_MAX

_NOT_SAID = [("", "—")]


def dwelling_choices(dwellings, households_in: dict[int, int] | None = None) -> list:
    """The dwellings of one building for a select, grouped by unit (``1单元`` → ``101``),
    each saying how many households are registered there already."""
    households_in = households_in or {}
    groups: dict[str, list] = {}
    for dwelling in dwellings:
        if dwelling.unit_id:
            group = _("Unit %(number)s") % {"number": dwelling.unit.number}
            label = dwelling.number or dwelling.label
        else:
            group = str(_("Dwellings"))
            label = dwelling.label or dwelling.number
        count = households_in.get(dwelling.pk, 0)
        if count:
            label = _("%(room)s (households here: %(n)s)") % {"room": label, "n": count}
        groups.setdefault(str(group), []).append((str(dwelling.pk), label))
    return [("", "—"), *groups.items()]


class HouseholdForm(ServiceErrorsMixin, forms.Form):
    """A household: the dwelling it lives in (from its building), how it lives here, a note."""

    dwelling = forms.ChoiceField(
        label=_("Dwelling"), error_messages={"required": _("Choose the dwelling.")}
    )
    residence_type = forms.ChoiceField(label=_("Residence type"), choices=ResidenceType.choices)
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, dwellings, households_in=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.dwellings = {str(dwelling.pk): dwelling for dwelling in dwellings}
        self.fields["dwelling"].choices = dwelling_choices(dwellings, households_in)

    def clean_dwelling(self):
        return self.dwellings[self.cleaned_data["dwelling"]]


class PersonForm(ServiceErrorsMixin, forms.Form):
    """A person of a household. The ID and phone numbers are never shown in full: on an edit
    the fields start empty (their masked values beside them) and an empty field keeps the
    number on record."""

    relation = forms.ChoiceField(
        label=_("Relation to head"), choices=_NOT_SAID + Relation.choices, required=False
    )
    name = forms.CharField(
        label=_("Name"), max_length=64, error_messages={"required": _("Give the name.")}
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=25,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("18 characters; the sex and birth date are read from it."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=_NOT_SAID + Sex.choices, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give the date as year-month-day.")},
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=25,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    clear_phone = forms.BooleanField(label=_("Remove the phone number"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=PersonStatus.choices)
    care_tags = forms.MultipleChoiceField(
        label=_("Care"), required=False, widget=forms.CheckboxSelectMultiple
    )
    disability_category = forms.ChoiceField(
        label=_("Disability category"),
        choices=_NOT_SAID + DisabilityCategory.choices,
        required=False,
    )
    disability_grade = forms.TypedChoiceField(
        label=_("Disability grade"),
        choices=_NOT_SAID + [(str(value), label) for value, label in DisabilityGrade.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, tags=None, person=None, **kwargs):
        """``tags``: the care tags the caller may set (``None``: no care fields);
        ``person``: the person being changed (``None``: a new one)."""
        super().__init__(*args, **kwargs)
        self.person = person
        self.tags = {tag.code: tag for tag in tags or []}
        if tags is None:
            for name in ("care_tags", "disability_category", "disability_grade"):
                del self.fields[name]
        else:
            self.fields["care_tags"].choices = [(tag.code, tag.name) for tag in tags]
        if person is None:
            del self.fields["status"]
            del self.fields["clear_phone"]
        else:
            del self.fields["key"]
            masked = {"id_number": person.id_number_masked, "phone": person.phone_masked}
            for name, value in masked.items():
                if value:
                    self.fields[name].help_text = _(
                        "On record: %(masked)s. Leave it empty to keep it, or type a new one."
                    ) % {"masked": value}
            if not person.phone:
                del self.fields["clear_phone"]

    def clean(self):
        data = super().clean()
        if data.get("clear_phone") and data.get("phone"):
            self.add_error("phone", _("Either type a new number or remove it, not both."))
        return data

    def care_specs(self):
        """The chosen care tags as the services take them (a disability with its detail)."""
        from wangge.people.services import TagSpec

        specs = []
        for code in self.cleaned_data.get("care_tags") or []:
            tag = self.tags[code]
            spec = TagSpec(tag=tag)
            if tag.has_disability_detail:
                spec.disability_category = self.cleaned_data.get("disability_category") or ""
                spec.disability_grade = self.cleaned_data.get("disability_grade")
            specs.append(spec)
        return specs

    def add_service_errors(self, exc) -> None:
        for field, errors in exc.message_dict.items():
            if field == "care_tags" and "care_tags" not in self.fields:
                field = None
            self.add_error(field if field in self.fields else None, errors)


class VisitForm(ServiceErrorsMixin, forms.Form):
    """A visit to a household: the day (today unless changed) and, if wanted, the time; how
    it was made; what was said; where the phone was (from the browser, if given); the case it
    was about, picked from the household's cases by number and title."""

    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Give the day of the visit."),
            "invalid": _("Give the date as year-month-day."),
        },
    )
    time = forms.TimeField(
        label=_("Time (optional)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Give the time as hours:minutes.")},
    )
    kind = forms.ChoiceField(label=_("Visit kind"), choices=VisitKind.choices)
    notes = forms.CharField(
        label=_("What was said or found"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    case = forms.ChoiceField(label=_("About a case (optional)"), required=False)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = {str(case.pk): case for case in cases}
        self.fields["case"].choices = [("", _("— none —"))] + [
            (str(case.pk), f"{case.number} · {case.title}（{case.get_state_display()}）")
            for case in cases
        ]
        if not self.cases:
            self.fields["case"].widget = forms.HiddenInput()
        if not self.is_bound:
            now = timezone.localtime()
            self.initial.setdefault("date", now.date())
            self.initial.setdefault("time", now.time().replace(second=0, microsecond=0))

    def clean_case(self):
        value = self.cleaned_data.get("case")
        return self.cases.get(value) if value else None

    def visited_at(self) -> datetime.datetime:
        """The moment of the visit: the day and time given; today without a time is now,
        another day without a time its noon."""
        day, time = self.cleaned_data["date"], self.cleaned_data.get("time")
        now = timezone.localtime()
        if time is None:
            if day == now.date():
                return now
            time = datetime.time(12, 0)
        return timezone.make_aware(datetime.datetime.combine(day, time))

    def add_service_errors(self, exc) -> None:
        for field, errors in exc.message_dict.items():
            if field == "visited_at":
                field = "date"
            elif field in ("lng", "lat"):
                field = None  # the point has no field of its own on the page
            self.add_error(field if field in self.fields else None, errors)
