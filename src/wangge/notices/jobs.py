from wangge.core.jobs import drainer, periodic
from wangge.notices import loop, outbox


@drainer
def send_deliveries(owner: str) -> int:
    """Continuously, beside the jobs: the outbox's deliveries that are due."""
    return outbox.drain(owner=owner)


@periodic(15 * 60)
def remind_late_cases():
    """Every quarter of an hour: the day's reminders of late cases not yet queued."""
    return loop.remind_late_cases()
