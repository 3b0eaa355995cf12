from django import forms
from django.utils.translation import gettext_lazy as _

PERIODS = (6, 12, 24)
DEFAULT_MONTHS = 12


class DashboardForm(forms.Form):
    """The dashboard's two choices. ``node`` is only checked to be a number here: the view
    looks it up among the user's places, so one outside them is a 404, not a form error."""

    node = forms.IntegerField(label=_("Place"), required=False, min_value=1, max_value=2**63 - 1)
    months = forms.TypedChoiceField(
        label=_("Period"),
        choices=[(n, n) for n in PERIODS],
        coerce=int,
        required=False,
        empty_value=DEFAULT_MONTHS,
    )
