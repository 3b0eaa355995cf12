"""Field work's patrols (巡查): the walk, its trace, checkpoints and findings."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.scope import ScopedQuerySet, get_scope


class PatrolKind(models.TextChoices):
    """How a patrol is walked: freely (一般巡查) or from checkpoint to checkpoint, each QR code
    scanned on the way (扫码巡查)."""

    ORDINARY = "ordinary", _("Ordinary patrol")
    CHECKPOINT = "checkpoint", _("Patrol with checkpoints")


class PatrolState(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("patrol", "Planned")
    UNDERWAY = "underway", pgettext_lazy("patrol", "Underway")
    FINISHED = "finished", pgettext_lazy("patrol", "Finished")
    CANCELLED = "cancelled", pgettext_lazy("patrol", "Cancelled")


class PatrolQuerySet(ScopedQuerySet):
    """A patrol is seen where its place is in scope, and by its leader and members wherever
    it goes (a grid worker in a group patrol of the whole community, a party member)."""

    def restrict(self, user, action: str = "view"):
        scoped = super().restrict(user, action)
        if action != "view" or not getattr(user, "is_authenticated", False):
            return scoped
        if get_scope(user).unrestricted:
            return scoped
        walked = Patrol.objects.filter(Q(leader=user) | Q(members=user)).values("pk")
        return self.filter(Q(pk__in=scoped.values("pk")) | Q(pk__in=walked))


class Patrol(models.Model):
    """A worker or a group walking a grid (巡查): planned for a window or started on the spot,
    its trace sent from the phone in batches, its findings made cases of the closed loop.

    ``distance_m`` and ``duration_s`` are derived from the trace (``patrols.measure``): only
    what lies within its segments counts, never a gap (no fix, screen off, no network)."""

    grid = models.ForeignKey(
        "territory.Node",
        verbose_name=_("grid or community"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=PatrolKind.choices, default=PatrolKind.ORDINARY
    )
    state = models.CharField(
        _("state"), max_length=16, choices=PatrolState.choices, default=PatrolState.UNDERWAY
    )
    planned = models.BooleanField(_("planned"), default=False)
    planned_start = models.DateTimeField(_("planned from"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned until"), null=True, blank=True)
    leader = models.ForeignKey(
        "accounts.User",
        verbose_name=_("leader"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), related_name="+", blank=True
    )
    note = models.CharField(_("route or purpose"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    duration_s = models.PositiveIntegerField(_("time walked (s)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PatrolQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-planned_start", "-pk"]
        indexes = [models.Index(fields=["state", "started_at"])]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.started_at or self.planned_start or ''}"


class TracePoint(models.Model):
    """A fix of the phone on a patrol (WGS-84), sent in a batch; ``gap_before``: the phone
    says it had no fix (or no screen, or was stopped) just before this one."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="points"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    gap_before = models.BooleanField(_("gap before"), default=False)
    batch = models.CharField(_("batch"), max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "patrol__grid"

    class Meta:
        verbose_name = _("trace point")
        verbose_name_plural = _("trace points")
        ordering = ["patrol_id", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "recorded_at"], name="fieldwork_tracepoint_once_a_moment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.recorded_at:%H:%M:%S}"


class Checkpoint(models.Model):
    """A place a checkpoint patrol passes (扫码巡查): a QR code on a building or a gate; its
    ``code`` is what the QR code opens and what a worker may type."""

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=16, unique=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["grid__path", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class CheckpointScan(models.Model):
    """A checkpoint passed on a patrol (once a patrol: a second scan is the first one)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="scans"
    )
    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.CASCADE, related_name="+"
    )
    scanned_at = models.DateTimeField(_("scanned at"))
    scanned_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("scanned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "patrol__grid"

    class Meta:
        verbose_name = _("checkpoint scan")
        verbose_name_plural = _("checkpoint scans")
        ordering = ["patrol_id", "scanned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "checkpoint"], name="fieldwork_checkpointscan_once_a_patrol"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.checkpoint_id}"


class PatrolFinding(models.Model):
    """A problem found on a patrol, made a case of the closed loop (channel: patrol)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="findings"
    )
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="+"
    )
    found_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("found by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "patrol__grid"

    class Meta:
        verbose_name = _("patrol finding")
        verbose_name_plural = _("patrol findings")
        ordering = ["patrol_id", "pk"]

    def __str__(self) -> str:
        return f"{self.patrol_id} → {self.case_id}"
