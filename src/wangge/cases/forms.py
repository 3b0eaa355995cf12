import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from wangge.cases.choices import Channel, Rating
from wangge.cases.models import Category
from wangge.core import inputs
from wangge.core.forms import LongText
from wangge.core.formspec import form_field, questions
from wangge.core.words import stored
from wangge.territory.choices import CRS
from wangge.territory.models import Node

# The services' names for fields that a form calls otherwise (the residents' form).
SERVICE_NAMES = {"reporter_name": "name", "reporter_phone": "phone"}


class CategoryQuestionsMixin:
    """A form with a ``category`` chosen among ``leaves`` and the questions of every category
    that has some, one group per form (forms are shared between categories); the page shows
    the chosen category's group, and only its answers are taken."""

    def offer_categories(self, leaves) -> None:
        self.fields["category"].queryset = leaves
        self.fields["category"].label_from_instance = lambda c: (
            f"{c.parent.name} · {c.name}" if c.parent_id else c.name
        )
        groups: dict[int, dict] = {}
        for category in leaves:
            if category.form_id and questions(category.form):
                group = groups.setdefault(
                    category.form_id, {"form": category.form, "categories": []}
                )
                group["categories"].append(category)
        for group in groups.values():
            group["names"] = []
            for question in questions(group["form"]):
                name = self.answer_name(group["form"], question.code)
                self.fields[name] = form_field(question)
                group["names"].append(name)
        self.question_groups = list(groups.values())

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
        """For the template: each group's categories' ids and names, and its bound fields."""
        for group in self.question_groups:
            yield {
                "categories": " ".join(str(c.pk) for c in group["categories"]),
                "names": "、".join(c.name for c in group["categories"]),
                "fields": [self[name] for name in group["names"]],
            }

    def visible_base_fields(self):
        answers = {name for group in self.question_groups for name in group["names"]}
        return [field for field in self.visible_fields() if field.name not in answers]

    def add_service_errors(self, exc) -> None:
        """A service's ``ValidationError`` on the fields it names (answers on their question)."""
        category = self.cleaned_data.get("category")
        for field, errors in exc.message_dict.items():
            target = field if field in self.fields else None
            if field.startswith("attributes.") and category is not None and category.form_id:
                name = self.answer_name(category.form, field.removeprefix("attributes."))
                target = name if name in self.fields else None
            if field in ("lng", "lat"):  # one place on the page for the point's errors
                target = None if self.fields["lng"].widget.is_hidden else "lng"
            elif target is None and SERVICE_NAMES.get(field) in self.fields:
                target = SERVICE_NAMES[field]
            self.add_error(target, errors)


class ResidentReportForm(CategoryQuestionsMixin, forms.Form):
    """What a resident fills in from a grid's QR code: few fields, plain words."""

    category = forms.ModelChoiceField(
        label=_("What is it about?"), queryset=Category.objects.none(), empty_label=None
    )
    description = forms.CharField(
        label=_("What happened, and where exactly?"),
        widget=LongText(attrs={"rows": 5}),
        max_length=inputs.DESCRIPTION,
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

    def clean(self):
        # The point is the phone's position, in hidden fields whose errors the page cannot
        # show beside them: said above the form instead.
        if [self._errors.pop(name, None) for name in ("lng", "lat")] != [None, None]:
            self.add_error(None, _("The coordinates are out of range"))
        return super().clean()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        leaves = (
            Category.objects.filter(
                tree__is_current=True, is_active=True, public=True, children__isnull=True
            )
            .select_related("parent")
            .order_by("parent__sort", "sort")
        )
        self.offer_categories(leaves.select_related("form"))
        if not self.is_bound:
            self.initial["key"] = uuid.uuid4().hex


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How was it handled?"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=500,
        widget=LongText(attrs={"rows": 3}),
    )


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=12)


class StaffCaseForm(CategoryQuestionsMixin, forms.Form):
    """A case taken by staff: from a call, a visit, or a message in the grid's group chat."""

    GRID_KINDS = ["grid", "dedicated_grid", "micro_grid"]
    STAFF_CHANNELS = [
        Channel.PHONE,
        Channel.WALK_IN,
        Channel.GROUP_CHAT,
        Channel.PATROL,
        Channel.HOME_VISIT,
        Channel.LEADER,
    ]

    channel = forms.ChoiceField(label=_("How it came in"))
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title (optional)"), required=False, max_length=100)
    description = forms.CharField(
        label=_("What is the problem?"),
        help_text=_("For a group-chat message, paste it here and put its sender as the reporter."),
        widget=LongText(attrs={"rows": 5}),
        max_length=inputs.DESCRIPTION,
    )
    grid = forms.ModelChoiceField(
        label=_("Grid"),
        queryset=Node.objects.none(),
        required=False,
        help_text=_("Or give the place as a point below."),
    )
    address = forms.CharField(label=_("Address or landmark"), required=False, max_length=200)
    lng = forms.FloatField(label=_("Longitude"), required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False)
    crs = forms.ChoiceField(label=_("Coordinates from"), choices=CRS.choices, initial=CRS.WGS84)
    reporter_name = forms.CharField(label=_("Reporter"), required=False, max_length=30)
    reporter_phone = forms.CharField(label=_("Reporter's phone"), required=False, max_length=20)
    # A first reply to the resident (cases/_reply.html); its length is the service's to judge.
    reply_on = forms.BooleanField(label=_("Reply to the resident"), required=False)
    reply = forms.CharField(
        label=_("Reply the resident sees"), required=False, widget=forms.Textarea, strip=True
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    REPLY_FIELDS = ("reply_on", "reply")

    def visible_base_fields(self):
        """The fields shown one after another; the reply has its own switch below them."""
        return [f for f in super().visible_base_fields() if f.name not in self.REPLY_FIELDS]

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            (channel.value, channel.label) for channel in self.STAFF_CHANNELS
        ]
        leaves = (
            Category.objects.filter(tree__is_current=True, is_active=True, children__isnull=True)
            .select_related("parent", "form")
            .order_by("parent__sort", "sort")
        )
        self.offer_categories(leaves)
        # Grids by name with their community (第1网格 is in every community), in code order,
        # searchable by name (static/js/picker.js); their boundaries are not needed here.
        grids = grids.order_by("code").defer("geometry")
        above = dict(
            Node.objects.filter(pk__in=grids.values("parent_id")).values_list("pk", "name")
        )
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = lambda node: " ".join(
            filter(None, [above.get(node.parent_id, ""), node.name])
        )
        self.fields["grid"].widget.attrs.update(
            {
                "data-picker": "",
                "data-picker-label": str(_("Find a grid or community by name")),
                "data-picker-placeholder": str(_("Search by name")),
                "data-picker-none": str(_("Nothing by that name.")),
            }
        )

    def clean(self):
        data = super().clean()
        point = data.get("lng") is not None and data.get("lat") is not None
        if not point and not data.get("grid"):
            raise forms.ValidationError(_("Choose the grid, or give the place as a point."))
        return data


class RevealForm(forms.Form):
    """Why staff look at a reporter's full number: a usual reason, or one written out. The
    purpose goes into the audit log in the site's language."""

    OTHER = "other"
    PURPOSES = {
        "callback": gettext_noop(
            "Callback: asking whether the resident is satisfied with how it was handled"
        ),
        "details": gettext_noop("Asking the resident for details of the problem"),
        "visit": gettext_noop("Arranging a time to come and see"),
    }

    purpose = forms.ChoiceField(label=_("Purpose"))
    other = forms.CharField(
        label=_("Other purpose"),
        required=False,
        max_length=500,
        help_text=_("Only if none of the above fits: say why you look."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [
            ("", "—"),
            *((key, _(text)) for key, text in self.PURPOSES.items()),
            (self.OTHER, _("Other (write it below)")),
        ]

    def clean(self):
        data = super().clean()
        chosen = data.get("purpose")
        if chosen == self.OTHER:
            other = (data.get("other") or "").strip()
            if not other:
                self.add_error("other", _("Say why you look."))
            data["purpose"] = other
        elif chosen in self.PURPOSES:
            data["purpose"] = stored(self.PURPOSES[chosen])
        return data

    def add_service_errors(self, exc) -> None:
        chosen = self.data.get("purpose") == self.OTHER
        for field, errors in exc.message_dict.items():
            self.add_error("other" if field == "purpose" and chosen else None, errors)
