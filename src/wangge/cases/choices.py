from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    """Where a case stands in the closed loop (DOMAIN.md, "The closed loop")."""

    REPORTED = "reported", _("Awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    SIGNED = "signed", _("Signed for")
    HANDLING = "handling", _("Being handled")
    DONE = "done", _("Finished, awaiting verification")
    VERIFIED = "verified", _("Verified, awaiting callback")
    CLOSED = "closed", _("Closed")
    RETURNED = "returned", _("Sent back")
    PARKED = "parked", _("Parked")
    TRANSFERRED = "transferred", _("Handed to an outside agency")
    ESCALATED = "escalated", _("Escalated to the level above")
    MERGED = "merged", _("Merged into another case")
    VOID = "void", _("Void")


OPEN_STATES = {
    State.REPORTED,
    State.ACCEPTED,
    State.DISPATCHED,
    State.SIGNED,
    State.HANDLING,
    State.DONE,
    State.VERIFIED,
    State.RETURNED,
    State.PARKED,
    State.TRANSFERRED,
    State.ESCALATED,
}
FINAL_STATES = {State.CLOSED, State.MERGED, State.VOID}


class Kind(models.TextChoices):
    """By handling: solved on the spot, promised within a time limit, or several parties."""

    INSTANT = "instant", _("Solved on the spot")
    PROMISED = "promised", _("Promised within a time limit")
    COORDINATED = "coordinated", _("Needs several parties")


class Channel(models.TextChoices):
    """Where a case came from (来源)."""

    GROUP_CHAT = "group_chat", _("Residents' group chat")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    PATROL = "patrol", _("Grid worker's patrol")
    HOME_VISIT = "home_visit", _("Home visit")
    HOTLINE = "hotline", _("12345 hotline")
    WEB = "web", _("Web form or QR code")
    OPEN311 = "open311", _("Open311")
    LEADER = "leader", _("Assigned by a leader")
    SENSOR = "sensor", _("Sensor")


class Stage(models.TextChoices):
    """The stages that have time limits."""

    ACCEPT = "accept", _("Acceptance")
    DISPATCH = "dispatch", _("Dispatch")
    SIGN = "sign", _("Signing for")
    HANDLE = "handle", _("Handling")
    VERIFY = "verify", _("Verification")
    CALLBACK = "callback", _("Callback")
    # Not a stage a case stands in: the most time extensions (延期) may add to a case, all
    # together; looked up like a stage's limit (the category's, an ancestor's, the tree's).
    EXTENSION = "extension", _("Extensions, at most")


class LimitUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    HOURS = "hours", _("hours")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    FAIRLY = "fairly", _("Fairly satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class TaskState(models.TextChoices):
    DISPATCHED = "dispatched", _("Dispatched")
    SIGNED = "signed", _("Signed for")
    HANDLING = "handling", _("Being handled")
    DONE = "done", _("Done")
    RETURNED = "returned", _("Sent back")
    CANCELLED = "cancelled", _("Cancelled")


class TargetKind(models.TextChoices):
    """Who a routing rule sends cases to."""

    USER = "user", _("A person")
    ROLE = "role", _("The role on duty")
    TEAM = "team", _("A team")


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Mark(models.TextChoices):
    """How close the current stage is to its time limit."""

    ON_TIME = "", _("On time")
    YELLOW = "yellow", _("About to be late")
    RED = "red", _("Late")
