from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeState(models.TextChoices):
    """Where a notice stands: written, waiting for approval (审核), out, or taken back."""

    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Awaiting approval")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class WeComFormat(models.TextChoices):
    """How a notice is posted by a WeCom group robot."""

    TEXT = "text", _("Text")
    MARKDOWN = "markdown", _("Markdown")
    NEWS = "news", _("News card")


class Channel(models.TextChoices):
    """How a message travels. ``log`` writes a line in the worker's log instead (a staff
    member without an e-mail address, a deployment without a gateway)."""

    WECOM = "wecom", _("WeCom group robot")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    LOG = "log", _("Log only")


class DeliveryState(models.TextChoices):
    """A delivery's life in the outbox: ``failed`` waits for another try, ``dead`` was given
    up (a bad key, a refused address, or too many tries). ``logged`` was only written in the
    worker's log — no SMS gateway is configured, or the staff member has no e-mail address:
    nobody received it, and it is never counted as sent."""

    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    LOGGED = "logged", _("Recorded, not sent")
    FAILED = "failed", _("Failed, to be retried")
    DEAD = "dead", _("Given up")


class Outcome(models.TextChoices):
    """What one attempt came to. An attempt without an outcome is one whose worker died
    before it recorded the answer: the provider may or may not have the message."""

    SENT = "sent", _("Sent")
    LOGGED = "logged", _("Recorded in the log only, not sent")
    RETRY = "retry", _("Failed, to be retried")
    RATE_LIMITED = "rate_limited", _("Too many messages: waiting")
    DEAD = "dead", _("Refused: given up")
    ABANDONED = "abandoned", _("Worker stopped before the answer")


class FollowChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
