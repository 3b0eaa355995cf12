from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import NodeRefField

PERIODS = (6, 12, 24)
DEFAULT_MONTHS = 12


class DashboardForm(forms.Form):
    """The dashboard's two choices. ``node`` (a place's code, or its id) is only checked for
    its shape here: the view looks it up among the user's places, so one outside them is a
    404, not a form error."""

    node = NodeRefField(label=_("Place"), required=False)
    months = forms.TypedChoiceField(
        label=_("Period"),
        choices=[(n, n) for n in PERIODS],
        coerce=int,
        required=False,
        empty_value=DEFAULT_MONTHS,
    )
