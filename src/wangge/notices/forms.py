"""The forms of the notices pages: a notice (new or a draft changed), the reviewer's answer,
a file, a group's robot, and a resident following a grid or a case."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.core import inputs
from wangge.core.forms import LongText, ServiceErrorsMixin
from wangge.notices.choices import WeComFormat
from wangge.notices.models import NoticeKind, NoticeTemplate
from wangge.people.models import CareTag


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


# The staff a notice may also reach by e-mail.
STAFF_ROLES = [
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.BUILDING_HEAD,
    Role.PARTY_MEMBER,
    Role.VOLUNTEER,
]


class NoticeForm(ServiceErrorsMixin, forms.Form):
    """A notice: its words, whom it is for, how it travels and when. The places and
    buildings offered are those of the user's scope; the service checks them again."""

    template = forms.ModelChoiceField(
        label=_("Start from a template"),
        queryset=NoticeTemplate.objects.none(),
        required=False,
        empty_label="—",
    )
    kind = forms.ModelChoiceField(
        label=_("Kind"),
        queryset=NoticeKind.objects.none(),
        required=False,
        empty_label="—",
    )
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=inputs.NOTICE,
        widget=LongText(attrs={"rows": 8}),
    )
    nodes = forms.TypedMultipleChoiceField(
        label=_("Places"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Every grid in a place chosen gets it. Hold Ctrl (or ⌘) to choose several."),
    )
    buildings = forms.TypedMultipleChoiceField(
        label=_("Or only these buildings"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    care_tags = forms.ModelMultipleChoiceField(
        label=_("SMS only to residents with these tags"),
        queryset=CareTag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label=_("E-mail to staff holding these roles"),
        choices=[(role.value, role.label) for role in STAFF_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    to_web = forms.BooleanField(label=_("On the grids' pages"), required=False, initial=True)
    to_wecom = forms.BooleanField(
        label=_("To the grids' WeCom groups"), required=False, initial=True
    )
    to_sms = forms.BooleanField(label=_("By SMS to residents"), required=False)
    to_email = forms.BooleanField(label=_("By e-mail to staff"), required=False)
    wecom_format = forms.ChoiceField(
        label=_("In the WeCom groups as"), choices=WeComFormat.choices, initial=WeComFormat.TEXT
    )
    mention_all = forms.BooleanField(label=_("@all in the groups"), required=False)
    publish_at = forms.DateTimeField(
        label=_("Goes out at"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Empty: as soon as it is published."),
    )
    expires_at = forms.DateTimeField(
        label=_("Taken off the pages at"),
        required=False,
        widget=DateTimeInput(),
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, places=(), buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = NoticeTemplate.objects.filter(is_active=True)
        self.fields["kind"].queryset = NoticeKind.objects.filter(is_active=True)
        self.fields["care_tags"].queryset = CareTag.objects.order_by("pk")
        self.fields["nodes"].choices = list(places)
        self.fields["buildings"].choices = list(buildings)
        if not self.fields["buildings"].choices:
            del self.fields["buildings"]

    def service_kwargs(self) -> dict:
        """The cleaned data as the notice services take them (places and buildings as ids;
        the view turns them into objects read within scope)."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "body": data["body"],
            "care_tags": list(data["care_tags"]),
            "roles": list(data["roles"]),
            "to_web": data["to_web"],
            "to_wecom": data["to_wecom"],
            "to_sms": data["to_sms"],
            "to_email": data["to_email"],
            "wecom_format": data["wecom_format"],
            "mention_all": data["mention_all"],
            "publish_at": data["publish_at"],
            "expires_at": data["expires_at"],
        }


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the author"),
        required=False,
        max_length=inputs.NOTE,
        widget=LongText(attrs={"rows": 2}),
        help_text=_("Needed when it goes back to be changed."),
    )


class NoticeFileForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(
        label=_("Add a picture or a file"),
        help_text=_("Pictures (JPEG, PNG, WebP), PDF, Word, Excel or text; at most 10 MB."),
    )


class RobotForm(ServiceErrorsMixin, forms.Form):
    grid = forms.TypedChoiceField(label=_("Grid"), coerce=int)
    name = forms.CharField(label=_("Group name"), max_length=64)
    key = forms.CharField(
        label=_("Webhook address or key"),
        max_length=300,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "In the group's settings: group robots → the robot → webhook address. It is stored"
            " encrypted and never shown again."
        ),
    )

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [("", "—"), *grids]


class FollowForm(ServiceErrorsMixin, forms.Form):
    """A resident leaves a phone number to be told by SMS."""

    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    stop = forms.BooleanField(required=False, widget=forms.HiddenInput)


class FollowCodeForm(ServiceErrorsMixin, forms.Form):
    """The six digits sent to the resident's phone."""

    code = forms.CharField(
        label=_("The code in the message"),
        max_length=12,
        error_messages={"required": _("Type the six digits of the code.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
            }
        ),
    )
