"""What residents read of a case's state, in plain words: the tracking page, Open311 and the
messages to the people following a case. The residents' pages themselves compose cases with
notices and live in ``web/residents.py``."""

from django.utils.translation import gettext_lazy

from wangge.cases.choices import State

# What a resident reads for each state: plain words.
RESIDENT_STATE = {
    State.REPORTED: gettext_lazy("Received, waiting to be taken up"),
    State.ACCEPTED: gettext_lazy("Taken up"),
    State.DISPATCHED: gettext_lazy("Given to the person who will handle it"),
    State.SIGNED: gettext_lazy("Being handled"),
    State.HANDLING: gettext_lazy("Being handled"),
    State.DONE: gettext_lazy("Handled, being checked"),
    State.VERIFIED: gettext_lazy("Handled: please tell us how it went"),
    State.CLOSED: gettext_lazy("Finished"),
    State.RETURNED: gettext_lazy("Being passed to the right person"),
    State.PARKED: gettext_lazy("Waiting: it cannot be solved yet"),
    State.TRANSFERRED: gettext_lazy("Passed to the agency responsible"),
    State.ESCALATED: gettext_lazy("Passed to the community or street office"),
    State.MERGED: gettext_lazy("Joined to an earlier report of the same problem"),
    State.VOID: gettext_lazy("Closed without action"),
}
