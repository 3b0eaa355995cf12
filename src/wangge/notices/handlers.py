"""What notices does when something happens below it (``core.events``): imported by
``NoticesConfig.ready()``, run in the transaction of the change."""

from wangge.core import events
from wangge.notices import loop


@events.on(events.CASE_CHANGED)
def followers_hear(*, case, step, tell_followers, **_):
    """A case's step goes to the phones of the people following it, as ``loop.case_changed``
    decides (a change of state whose message is switched on), unless the step is one they
    never hear of."""
    if tell_followers:
        loop.case_changed(case, step)
