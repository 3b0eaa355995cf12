"""The forms of the lost-and-found pages. They only shape the input: the services
(``lostfound.services``) judge it and name what is wrong."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.forms import LongText
from wangge.territory.models import Node

_TEL = {"type": "tel", "inputmode": "tel", "autocomplete": "off"}


class PhotosInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one file input (a list; empty when none were chosen)."""

    def __init__(self, *args, **kwargs):
        accept = "image/jpeg,image/png,image/webp"
        kwargs.setdefault("widget", PhotosInput(attrs={"accept": accept}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(upload, initial) for upload in files if upload]


_PHOTOS_HELP = _(
    "At most 4 photos (JPEG, PNG or WebP). They go on the notice and the poster: keep identity "
    "and bank cards out of them."
)


class FoundItemForm(forms.Form):
    """A found item, as staff record it at the office or a grid worker in the street."""

    what = forms.CharField(
        label=_("What was found"),
        max_length=200,
        error_messages={"required": _("Say what was found.")},
        widget=forms.TextInput(attrs={"placeholder": _("e.g. two bunches of keys")}),
    )
    where = forms.CharField(
        label=_("Where it was found"),
        max_length=200,
        error_messages={"required": _("Say where it was found.")},
    )
    found_at = forms.DateTimeField(
        label=_("When it was found"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("Say when it was found.")},
    )
    grid = forms.ModelChoiceField(
        label=_("Grid"),
        queryset=Node.objects.none(),
        required=False,
        empty_label=_("— from my location —"),
    )
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    finder_name = forms.CharField(label=_("Who found it (optional)"), max_length=64, required=False)
    finder_phone = forms.CharField(
        label=_("Their phone (optional)"),
        max_length=20,
        required=False,
        help_text=_("Kept private: never on the notice, shown masked."),
        widget=forms.TextInput(attrs=_TEL),
    )
    kept_at = forms.CharField(
        label=_("Where it is kept"),
        max_length=200,
        required=False,
        help_text=_("Where the owner can claim it, e.g. the community's service centre."),
    )
    contact_phone = forms.CharField(
        label=_("Phone for claims (optional)"),
        max_length=32,
        required=False,
        help_text=_("The office's number, printed on the notice."),
        widget=forms.TextInput(attrs=_TEL),
    )
    photos = PhotosField(label=_("Photos (optional)"), help_text=_PHOTOS_HELP)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, grids, labels: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["grid"]
        field.queryset = grids
        field.label_from_instance = lambda node: f"{labels.get(node.pk, node.name)}（{node.code}）"
        if not self.is_bound:
            self.initial.setdefault(
                "found_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean(self):
        data = super().clean()
        point = data.get("lng") is not None and data.get("lat") is not None
        if not point and not data.get("grid"):
            self.add_error("grid", _("Choose the grid, or give the place as a point."))
        return data

    def add_service_errors(self, exc) -> None:
        """A service's ``ValidationError`` on the fields it names."""
        for field, errors in exc.message_dict.items():
            if field in ("lng", "lat"):  # the point has no field on the page: its grid has
                field = "grid"
            self.add_error(field if field in self.fields else None, errors)

    @property
    def photos_dropped(self) -> bool:
        """Photos were sent with a form that was refused: they must be chosen again."""
        return self.is_bound and bool(self.files.getlist("photos"))


class FoundItemEditForm(forms.Form):
    """What staff may change on an item once recorded, and its photos. The service judges the
    words, so every problem is named at once."""

    what = forms.CharField(label=_("What was found"), required=False)
    where = forms.CharField(label=_("Where it was found"), required=False)
    kept_at = forms.CharField(
        label=_("Where it is kept"),
        required=False,
        help_text=_("Where the owner can claim it, e.g. the community's service centre."),
    )
    contact_phone = forms.CharField(
        label=_("Phone for claims (optional)"),
        required=False,
        help_text=_("The office's number, printed on the notice."),
        widget=forms.TextInput(attrs=_TEL),
    )
    photos = PhotosField(label=_("Add photos"), help_text=_PHOTOS_HELP)
    hide = forms.MultipleChoiceField(
        label=_("Take photos off the notice"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They stay with the case, for staff."),
    )

    def __init__(self, *args, shown=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = {str(photo.pk): photo for photo in shown}
        self.fields["hide"].choices = [
            (pk, _("Photo %(n)s") % {"n": n}) for n, pk in enumerate(self.shown, start=1)
        ]
        if not self.shown:
            del self.fields["hide"]

    def clean_hide(self):
        return [self.shown[pk] for pk in self.cleaned_data.get("hide") or []]

    def add_service_errors(self, exc) -> None:
        for field, errors in exc.message_dict.items():
            if field == "photos_to_hide":
                field = "hide"
            self.add_error(field if field in self.fields else None, errors)


class ClaimForm(forms.Form):
    """Someone says the item is theirs (often on the phone): who, how to reach them, and
    what they say proves it. The service says what is missing or wrong."""

    claimant_name = forms.CharField(label=_("Claimant"), max_length=64, required=False)
    claimant_phone = forms.CharField(
        label=_("Claimant's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs=_TEL),
    )
    claimant_address = forms.CharField(
        label=_("Claimant's address (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. building 5")}),
    )
    proof = forms.CharField(
        label=_("What proves it is theirs"),
        max_length=2000,
        required=False,
        widget=LongText(attrs={"rows": 3}),
    )

    def add_service_errors(self, exc) -> None:
        for field, errors in exc.message_dict.items():
            if field in self.fields:
                self.add_error(field, errors)
