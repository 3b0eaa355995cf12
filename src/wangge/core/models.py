from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.choices import JobState
from wangge.core.scope import ScopedQuerySet


class AuditEvent(models.Model):
    """One change, written by the service that made it, in the same transaction."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # the (actor, at) index below serves lookups by actor
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("territory node"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["actor", "at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_repr}"


class Job(models.Model):
    """Long work (an import, an export) as a row a worker process picks up."""

    kind = models.CharField(_("kind"), max_length=64)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    result = models.JSONField(_("result"), null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("error"), blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    node = models.ForeignKey(
        "territory.Node", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.state == JobState.DONE else 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class IdempotencyKey(models.Model):
    """The first answer to a create, so a retry with the same key gets it again."""

    key = models.CharField(max_length=128)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    operation = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "operation", "key"], name="core_idempotency_unique"
            ),
            # Two NULL actors are not equal to a unique index: anonymous creates (the resident
            # page, Open311) need their own.
            models.UniqueConstraint(
                fields=["operation", "key"],
                condition=models.Q(actor__isnull=True),
                name="core_idempotency_unique_anonymous",
            ),
        ]

    def __str__(self):
        return f"{self.operation}:{self.key} → {self.target_type}#{self.target_id}"


class Counter(models.Model):
    """Named version numbers, bumped by services (e.g. the grid geometry version)."""

    name = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"


class Form(models.Model):
    """A set of typed questions: a category's attributes, later a checklist or a survey."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self):
        return self.name


class Question(models.Model):
    """One typed question of a form (the kinds Open311 service definitions know, and more)."""

    class Kind(models.TextChoices):
        STRING = "string", _("Short text")
        TEXT = "text", _("Long text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        SINGLE = "singlevaluelist", _("One choice")
        MULTI = "multivaluelist", _("Several choices")
        BOOLEAN = "boolean", _("Yes or no")

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("question"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_('[{"key": …, "name": …}]')
    )
    help = models.CharField(_("help"), max_length=200, blank=True)
    minimum = models.FloatField(_("minimum"), null=True, blank=True)
    maximum = models.FloatField(_("maximum"), null=True, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["form", "sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "code"], name="core_question_unique_code")
        ]

    def __str__(self):
        return self.label


class Notification(models.Model):
    """A message to a user inside Wangge (a late case, an escalation); the notices issue
    carries them further, to WeCom and SMS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.text


class RateLimitHit(models.Model):
    """Counts of requests per key and minute, for public pages (works across processes)."""

    key = models.CharField(max_length=100)
    window = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="core_ratelimit_unique")
        ]

    def __str__(self):
        return f"{self.key} {self.window:%H:%M} {self.count}"


class SavedView(models.Model):
    """A list's filters kept under a name by one user ("my late cases in grid 3"), shown
    above that list. Only the query string is kept: what it shows is always read through
    the user's scope of the day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    page = models.CharField(_("list"), max_length=32)
    name = models.CharField(_("name"), max_length=40)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["page", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "page", "name"], name="saved_view_unique_name")
        ]

    def __str__(self):
        return self.name
