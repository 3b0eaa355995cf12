import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import Rating
from wangge.cases.models import Category
from wangge.core.formspec import form_field, questions


class ResidentReportForm(forms.Form):
    """What a resident fills in from a grid's QR code: few fields, plain words."""

    category = forms.ModelChoiceField(
        label=_("What is it about?"), queryset=Category.objects.none(), empty_label=None
    )
    description = forms.CharField(
        label=_("What happened, and where exactly?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
    )
    address = forms.CharField(
        label=_("Place (building, unit, landmark)"), required=False, max_length=200
    )
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=30)
    phone = forms.CharField(
        label=_("Your phone, to hear back (optional)"), required=False, max_length=20
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        leaves = (
            Category.objects.filter(
                tree__is_current=True, is_active=True, public=True, children__isnull=True
            )
            .select_related("parent")
            .order_by("parent__sort", "sort")
        )
        self.fields["category"].queryset = leaves
        self.fields["category"].label_from_instance = lambda c: (
            f"{c.parent.name} · {c.name}" if c.parent_id else c.name
        )
        if not self.is_bound:
            self.initial["key"] = uuid.uuid4().hex
        # The questions of every category that has some, one group per form (forms are
        # shared between categories); the page shows the chosen category's group.
        groups: dict[int, dict] = {}
        for category in leaves.select_related("form"):
            if category.form_id and questions(category.form):
                group = groups.setdefault(
                    category.form_id, {"form": category.form, "categories": []}
                )
                group["categories"].append(category)
        self.question_groups = []
        for group in groups.values():
            names = []
            for question in questions(group["form"]):
                name = self.answer_name(group["form"], question.code)
                self.fields[name] = form_field(question)
                names.append(name)
            group["names"] = names
            self.question_groups.append(group)

    @staticmethod
    def answer_name(form, code: str) -> str:
        return f"q-{form.code}-{code}"

    def answers(self) -> dict:
        """The answers to the chosen category's questions (checked by the service)."""
        category = self.cleaned_data["category"]
        answers = {}
        for question in questions(category.form) if category.form_id else []:
            value = self.cleaned_data.get(self.answer_name(category.form, question.code))
            if value not in (None, "", []):
                answers[question.code] = value
        return answers

    def groups(self):
        """For the template: each group's legend, its categories' ids and its bound fields."""
        for group in self.question_groups:
            yield {
                "categories": " ".join(str(c.pk) for c in group["categories"]),
                "names": "、".join(c.name for c in group["categories"]),
                "fields": [self[name] for name in group["names"]],
            }

    def visible_base_fields(self):
        answers = {name for group in self.question_groups for name in group["names"]}
        return [field for field in self.visible_fields() if field.name not in answers]


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How was it handled?"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=12)
