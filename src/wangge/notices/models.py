"""Notices to residents, the channels they travel by, and the outbox that carries them.

A notice targets places (territory nodes and buildings), and within them care tags or staff
roles; it goes to the public page of each grid, to the grids' WeCom group robots, by SMS to
residents and followers, by e-mail to staff. Every message is a ``Delivery`` row that a
worker sends, retries and records (``DeliveryAttempt``), so none is lost.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core import inputs
from wangge.core.crypto import mask_phone
from wangge.core.fields import EncryptedCharField
from wangge.core.scope import ScopedQuerySet, get_scope, permission_name, subtree_q
from wangge.notices.choices import (
    Channel,
    DeliveryState,
    FollowChannel,
    NoticeState,
    Outcome,
    WeComFormat,
)

USER = settings.AUTH_USER_MODEL


def mask_key(value: str | None) -> str:
    """A robot's key as pages and the API show it: its last four characters."""
    if not value:
        return ""
    return "****" + value[-4:] if len(value) > 8 else "****"


def mask_email(value: str | None) -> str:
    """``zhang.san@example.cn`` → ``z***@example.cn``."""
    if not value:
        return ""
    name, _at, domain = value.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


# --- Standards as data ---------------------------------------------------------------------------


class NoticeKind(models.Model):
    """What a notice is about (政策, 便民, 安全提示, 失物招领 …): an editable list."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("notice kind")
        verbose_name_plural = _("notice kinds")
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class NoticeTemplate(models.Model):
    """A notice to start from (停水通知, 寻物启事 …); staff fill in the blanks."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.ForeignKey(
        NoticeKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="templates"
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=inputs.NOTICE)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["sort", "name"]

    def __str__(self):
        return self.name


class MessageTemplate(models.Model):
    """The words of a message the system sends by itself, keyed by the event that sends it
    (``case.accepted``: a reporter's case was accepted). Placeholders: ``{number}``,
    ``{title}``, ``{state}``, ``{tracking_url}``, ``{case_url}``, ``{site}``, and in the
    messages of a case's change ``{reply}``: the reply written for the resident on that step
    as a sentence ("答复：….", empty when there is none; a staff note never)."""

    event = models.CharField(_("event"), max_length=64, unique=True)
    description = models.CharField(_("when it is sent"), max_length=200, blank=True)
    subject = models.CharField(_("subject (e-mail)"), max_length=200, blank=True)
    text = models.TextField(_("text"), max_length=inputs.NOTICE)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["event"]

    def __str__(self):
        return self.event


# --- Notices -------------------------------------------------------------------------------------


class NoticeQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        """Scope as everywhere — a notice lies in the smallest place holding all it is for —
        and, for reading, also the notices for any place within the user's (a grid leader of
        two grids sees a notice to both, though it lies in their community) and the notices
        out for the places above theirs (a community's staff read what the street sent their
        residents)."""
        scope = get_scope(user)
        perm = permission_name(self.model, action)
        if scope.unrestricted or scope.covers_roots(perm):
            return self.all()
        paths = scope.paths(perm)
        if not paths:
            return self.none()
        from wangge.territory.models import Node

        mine = Node.objects.filter(subtree_q(paths)).values("pk")
        if action != "view":
            return self.filter(node__in=mine)
        for_places = Notice.nodes.through.objects.filter(node__in=mine).values("notice_id")
        for_buildings = Notice.buildings.through.objects.filter(building__grid__in=mine).values(
            "notice_id"
        )
        # A street's or the district's notice is for the residents of the places below it
        # too: their staff read it once it is out (they may not change it).
        above = {int(part) for path in paths for part in path.strip("/").split("/")[:-1]}
        for_above = Notice.nodes.through.objects.filter(node__in=above).values("notice_id")
        return self.filter(
            Q(node__in=mine)
            | Q(pk__in=for_places)
            | Q(pk__in=for_buildings)
            | Q(pk__in=for_above, state__in=[NoticeState.PUBLISHED, NoticeState.WITHDRAWN])
        )


class Notice(models.Model):
    """A notice to the residents (and staff) of some places."""

    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("place"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The smallest place holding every target: whose notice it is."),
    )
    kind = models.ForeignKey(
        NoticeKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="notices"
    )
    template = models.ForeignKey(
        NoticeTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=inputs.NOTICE)
    nodes = models.ManyToManyField(
        "territory.Node", verbose_name=_("places"), related_name="+", blank=True
    )
    buildings = models.ManyToManyField(
        "territory.Building", verbose_name=_("buildings"), related_name="+", blank=True
    )
    care_tags = models.ManyToManyField(
        "people.CareTag",
        verbose_name=_("care tags"),
        related_name="+",
        blank=True,
        help_text=_("Only residents with one of these tags get it by SMS."),
    )
    roles = models.JSONField(
        _("staff roles"),
        default=list,
        blank=True,
        help_text=_("Staff holding these roles in the places get it by e-mail."),
    )
    to_web = models.BooleanField(_("grid pages"), default=True)
    to_wecom = models.BooleanField(_("WeCom groups"), default=True)
    to_sms = models.BooleanField(_("SMS to residents"), default=False)
    to_email = models.BooleanField(_("e-mail to staff"), default=False)
    wecom_format = models.CharField(
        _("WeCom format"), max_length=16, choices=WeComFormat.choices, default=WeComFormat.TEXT
    )
    mention_all = models.BooleanField(_("@all in the groups"), default=False)
    publish_at = models.DateTimeField(_("goes out at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=NoticeState.choices, default=NoticeState.DRAFT
    )
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    settled_at = models.DateTimeField(
        _("settled at"),
        null=True,
        blank=True,
        help_text=_(
            "What it was about is over: off the grid pages' lists, still readable at its own "
            "address."
        ),
    )
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("sent for approval at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    review_note = models.TextField(_("reviewer's note"), blank=True, max_length=inputs.NOTE)
    published_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NoticeQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "publish_at"]),
            models.Index(fields=["node", "created_at"]),
        ]

    def __str__(self):
        return self.title


class NoticeFile(models.Model):
    """An image or attachment of a notice (images are re-encoded without their metadata)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to="notices/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    is_image = models.BooleanField(_("image"), default=False)
    uploaded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "notice__node"

    class Meta:
        verbose_name = _("notice file")
        verbose_name_plural = _("notice files")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.name


# --- Channels ------------------------------------------------------------------------------------


class Robot(models.Model):
    """A WeCom group robot (群机器人) of one grid's residents' group. Its key is a secret:
    stored encrypted, never shown again, only its last characters."""

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("group name"), max_length=64)
    key = EncryptedCharField(_("webhook key"), mask=mask_key)
    key_hash = models.CharField(max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("WeCom group robot")
        verbose_name_plural = _("WeCom group robots")
        ordering = ["grid__path", "name"]

    def __str__(self):
        return self.name

    @property
    def key_masked(self) -> str:
        return mask_key(self.key)


class Follow(models.Model):
    """A resident who asked to hear of a case's progress or of a grid's notices, by SMS or
    e-mail (the address encrypted, a keyed hash beside it to find it again).

    A new follow waits (not active, not ended) until the code sent to its address is typed
    on the page: nothing but that code is sent to an address before. Follows made before
    codes existed stay active with no ``confirmed_at``: their residents asked for the
    messages and have been getting them, and they stop them with "Stop the SMS"."""

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    channel = models.CharField(_("by"), max_length=8, choices=FollowChannel.choices)
    phone = EncryptedCharField(_("phone"), mask=mask_phone)
    email = EncryptedCharField(_("e-mail"), mask=mask_email)
    address_hash = models.CharField(max_length=40)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("followed at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "address_hash"],
                condition=Q(case__isnull=True, is_active=True),
                name="notices_follow_unique_grid",
            ),
            models.UniqueConstraint(
                fields=["case", "address_hash"],
                condition=Q(case__isnull=False, is_active=True),
                name="notices_follow_unique_case",
            ),
        ]

    def __str__(self):
        return f"{self.case_id or self.grid_id} ← {self.channel}"


class FollowCode(models.Model):
    """A confirmation code sent to a follow's address: six digits, kept only as a keyed hash,
    good for a few minutes and a few tries. The rows also count the codes sent to a number,
    to a device (a cookie) and from a network address (both as keyed hashes) for the limits."""

    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=40)
    address_hash = models.CharField(max_length=40, db_index=True)
    device_hash = models.CharField(max_length=40, blank=True, db_index=True)
    client_hash = models.CharField(max_length=40, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    tries = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "follow__grid"

    class Meta:
        verbose_name = _("confirmation code")
        verbose_name_plural = _("confirmation codes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.follow_id} code {self.pk}"


# --- The outbox ----------------------------------------------------------------------------------


class Delivery(models.Model):
    """One message to one robot, phone or address: sent by a worker, retried with back-off,
    given up after too many tries. A long notice to a robot is several deliveries, each
    waiting for the one ``after`` which it comes."""

    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    robot = models.ForeignKey(
        Robot, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    follow = models.ForeignKey(
        Follow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_follower = models.ForeignKey(
        "cases.Follower", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address_hash = models.CharField(max_length=40, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    payload = models.JSONField(_("message"), default=dict)
    part = models.PositiveSmallIntegerField(_("part"), default=1)
    parts = models.PositiveSmallIntegerField(_("parts"), default=1)
    after = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    failures = models.PositiveSmallIntegerField(_("failures"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    answer_code = models.CharField(_("answer code"), max_length=32, blank=True)
    answer_text = models.CharField(_("answer"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["robot", "state", "next_attempt_at"]),
        ]

    def __str__(self):
        return f"{self.channel} #{self.pk} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try to send a delivery, written before the message leaves and completed with the
    provider's answer. One left without an answer marks a worker that died meanwhile: the
    only moment a message may have gone out twice. A robot's attempts are also its pace."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    robot = models.ForeignKey(
        Robot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    worker = models.CharField(_("worker"), max_length=64)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    code = models.CharField(_("answer code"), max_length=32, blank=True)
    text = models.CharField(_("answer"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "delivery__node"

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["robot", "started_at"])]

    def __str__(self):
        return f"{self.delivery_id}#{self.number} {self.outcome or '…'}"
