"""The forms of the dispute pages (console and phone). They only shape the input: the
services (``fieldwork.services.disputes``) judge it and name what is wrong."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.forms import LongText, ServiceErrorsMixin
from wangge.fieldwork.models import (
    Campaign,
    DisputeKind,
    DisputeSource,
    DisputeState,
    PartyRole,
)

_DAY = {"type": "date"}
_TEL = {"type": "tel", "inputmode": "tel", "autocomplete": "off"}
PARTY_ROWS = 3
YES_NO = [("true", _("Yes")), ("false", _("No"))]


def _yes_no(label):
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        error_messages={"required": _("Answer yes or no")},
    )


class OwnIds:
    """Each form of a dispute's page has ids of its own (several have a ``note``)."""

    ids = "dispute"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.ids}-%s")
        super().__init__(*args, **kwargs)


class KeyMixin(forms.Form):
    """An idempotency key, new each time the form is shown: a resent form makes nothing twice."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4().hex)


class DisputeForm(ServiceErrorsMixin, KeyMixin, forms.Form):
    grid = forms.ChoiceField(label=_("Grid"))
    kind = forms.ModelChoiceField(
        label=_("Kind of dispute"),
        queryset=DisputeKind.objects.filter(is_active=True),
        empty_label=None,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    facts = forms.CharField(label=_("What happened"), widget=LongText(attrs={"rows": 4}))
    points = forms.CharField(
        label=_("Points in dispute"), required=False, widget=LongText(attrs={"rows": 2})
    )
    source = forms.ChoiceField(label=_("Where it came from"), choices=DisputeSource.choices)
    drive = forms.CharField(
        label=_("Screening drive (optional)"),
        max_length=200,
        required=False,
        help_text=_("The drive it was found in, e.g. 矛盾纠纷排查化解."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Screening campaign (optional)"),
        queryset=Campaign.objects.none(),
        required=False,
        help_text=_("The dispute screening campaign (矛盾纠纷排查) it was found in."),
    )
    mediators = forms.MultipleChoiceField(label=_("Mediators"), required=False)

    def __init__(self, *args, grids, mediators, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaigns is not None:
            self.fields["campaign"].queryset = campaigns
        self.fields["grid"].choices = grids
        self.fields["grid"].widget = grids_widget = forms.Select(choices=grids)
        grids_widget.attrs.update(
            {
                "data-picker": "",
                "data-picker-label": str(_("Find a grid or community by name")),
                "data-picker-placeholder": str(_("Search by name")),
                "data-picker-none": str(_("Nothing by that name.")),
            }
        )
        self.fields["mediators"].choices = mediators
        self.fields["mediators"].widget = forms.SelectMultiple(choices=mediators, attrs={"size": 6})


class PartyForm(forms.Form):
    """A party: found in the register by name (where they live here), else typed in."""

    role = forms.ChoiceField(label=_("Party's role"), choices=PartyRole.choices)
    register = forms.CharField(
        label=_("Name in the register"),
        max_length=64,
        required=False,
        help_text=_("For a resident of this community: their name as registered."),
    )
    person = forms.ChoiceField(label=_("Which one"), required=False)
    name = forms.CharField(label=_("Name (not registered)"), max_length=64, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs=_TEL)
    )
    id_number = forms.CharField(label=_("ID number"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—"), *candidates]

    @property
    def is_empty(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(
            data.get(name) for name in ("register", "person", "name", "phone", "id_number")
        )


class SessionForm(OwnIds, ServiceErrorsMixin, KeyMixin, forms.Form):
    ids = "session"
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs=_DAY, format="%Y-%m-%d")
    )
    place = forms.CharField(label=_("Place of the session"), max_length=200, required=False)
    present = forms.MultipleChoiceField(
        label=_("Who came"), required=False, widget=forms.CheckboxSelectMultiple
    )
    mediators = forms.MultipleChoiceField(
        label=_("Mediators"), required=False, widget=forms.CheckboxSelectMultiple
    )
    record = forms.CharField(label=_("What was said and done"), widget=LongText(attrs={"rows": 5}))

    def __init__(self, *args, parties=(), mediators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = parties
        self.fields["mediators"].choices = mediators
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())
            self.initial.setdefault("present", [value for value, _label in parties])
            self.initial.setdefault("mediators", [value for value, _label in mediators])


OUTCOME_CHOICES = [
    (DisputeState.AGREED, _("Written agreement (调解协议书)")),
    (DisputeState.ORAL, _("Oral agreement")),
    (DisputeState.FAILED, _("No agreement")),
    (DisputeState.REFERRED, _("Referred on")),
]


class OutcomeForm(OwnIds, ServiceErrorsMixin, forms.Form):
    ids = "outcome"
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES)
    facts = forms.CharField(
        label=_("Main facts"), required=False, widget=LongText(attrs={"rows": 3})
    )
    responsibilities = forms.CharField(
        label=_("Points in dispute and responsibilities"),
        required=False,
        widget=LongText(attrs={"rows": 3}),
    )
    terms = forms.CharField(
        label=_("Terms agreed"), required=False, widget=LongText(attrs={"rows": 4})
    )
    performance = forms.CharField(label=_("Manner of performance"), max_length=200, required=False)
    deadline = forms.DateField(
        label=_("Performed by"),
        required=False,
        widget=forms.DateInput(attrs=_DAY, format="%Y-%m-%d"),
    )
    signed_on = forms.DateField(
        label=_("Signed on (if signed already)"),
        required=False,
        widget=forms.DateInput(attrs=_DAY, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("Why no agreement / note"), required=False, widget=LongText(attrs={"rows": 2})
    )
    referred_to = forms.CharField(label=_("Referred to"), max_length=200, required=False)


class SignedForm(OwnIds, ServiceErrorsMixin, forms.Form):
    ids = "signed"
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs=_DAY, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())


class FollowUpForm(OwnIds, ServiceErrorsMixin, KeyMixin, forms.Form):
    ids = "follow-up"
    visited_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs=_DAY, format="%Y-%m-%d")
    )
    carried_out = _yes_no(_("Is what was agreed carried out?"))
    satisfied = _yes_no(_("Are the parties satisfied?"))
    risk = _yes_no(_("Is there a risk it flares up again?"))
    note = forms.CharField(label=_("Note"), required=False, widget=LongText(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("visited_on", timezone.localdate())


class CloseForm(OwnIds, ServiceErrorsMixin, forms.Form):
    ids = "close"
    note = forms.CharField(label=_("Note"), required=False, widget=LongText(attrs={"rows": 2}))
