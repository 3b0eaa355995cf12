"""What the register does when something below it happens (``core.events``)."""

from wangge.core import events
from wangge.people import services


@events.on(events.BUILDINGS_MOVED)
def residents_follow_their_building(*, actor, moves, reason, **_):
    services.move_residents(actor=actor, moves=moves, reason=reason)
