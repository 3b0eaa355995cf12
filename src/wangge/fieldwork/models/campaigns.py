"""Field work's inspection campaigns (排查): checklists, campaigns, their teams, checks, photos."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import ScopedQuerySet, get_scope

# Inspection campaigns (排查): a checklist taken to every building (or dwelling, or public
# place) of a community or street within a window, one team per grid; an answer that reveals
# a hazard opens a case, which the campaign follows until it is fixed.


class CampaignKind(models.TextChoices):
    HAZARD = "hazard", _("Safety hazard inspection")
    DISPUTE = "dispute", _("Dispute screening")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CheckResult(models.TextChoices):
    OK = "ok", _("No hazard")
    HAZARD = "hazard", _("Hazard found")


class Checklist(models.Model):
    """A checklist template (a standard kept as data, from ``fixtures/checklists.json``): the
    typed questions of a ``core.Form``; which answers reveal a hazard is each question's
    ``HazardRule``."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    form = models.OneToOneField(
        "core.Form", verbose_name=_("form"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class HazardRule(models.Model):
    """The answers to a checklist question that reveal a hazard, and the category of the case
    each opens (by code, so it holds across category tree versions)."""

    question = models.OneToOneField(
        "core.Question",
        verbose_name=_("question"),
        on_delete=models.CASCADE,
        related_name="hazard_rule",
    )
    values = models.JSONField(
        _("hazard answers"), default=list, help_text=_('e.g. [true] or ["frozen"]')
    )
    category_code = models.CharField(_("category code"), max_length=32)
    title = models.CharField(_("case title"), max_length=100, blank=True)
    attributes = models.JSONField(
        _("case answers"),
        default=dict,
        blank=True,
        help_text=_("Answers to the category's own questions, given with the case."),
    )

    class Meta:
        verbose_name = _("hazard rule")
        verbose_name_plural = _("hazard rules")

    def __str__(self) -> str:
        return f"{self.question_id} → {self.category_code}"

    def matches(self, value) -> bool:
        """Whether a stored answer is one of the hazard answers."""
        if value is None:
            return False
        wanted = {str(v).lower() for v in self.values}
        given = value if isinstance(value, list) else [value]
        return any(str(item).lower() in wanted for item in given)


class CampaignQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        """A campaign lies in its place (a community or a street); for reading, the grid
        workers and leaders of the grids under it see it too, once it is no draft."""
        from wangge.core.scope import permission_name, subtree_q
        from wangge.territory.models import Node

        scope = get_scope(user)
        perm = permission_name(self.model, action)
        if scope.unrestricted or scope.covers_roots(perm):
            return self.all()
        paths = scope.paths(perm)
        if not paths:
            return self.none()
        mine = Node.objects.filter(subtree_q(paths)).values("pk")
        if action != "view":
            return self.filter(node__in=mine)
        above = {int(part) for path in paths for part in path.strip("/").split("/")[:-1]}
        return self.filter(Q(node__in=mine) | (Q(node__in=above) & ~Q(state=CampaignState.DRAFT)))


class Campaign(models.Model):
    """An inspection campaign (排查) in a community or street."""

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    checklist = models.ForeignKey(
        Checklist, verbose_name=_("checklist"), on_delete=models.PROTECT, related_name="+"
    )
    node = models.ForeignKey(
        "territory.Node", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title


class CampaignTeam(models.Model):
    """The team that checks one grid of a campaign's place."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="teams"
    )
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        "accounts.User",
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("campaign team")
        verbose_name_plural = _("campaign teams")
        ordering = ["campaign", "grid__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grid"], name="fieldwork_team_one_per_grid")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.grid_id}"


class Check(models.Model):
    """One building, dwelling or public place checked against the campaign's checklist."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="checks"
    )
    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dwelling = models.ForeignKey(
        "territory.Dwelling",
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place_name = models.CharField(_("public place"), max_length=100, blank=True)
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    checked_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=CheckResult.choices)
    hazards = models.JSONField(_("hazards found"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    cases = models.ManyToManyField(
        "cases.Case", verbose_name=_("cases opened"), blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "building"], name="fieldwork_check_building"),
            models.Index(fields=["campaign", "grid"], name="fieldwork_check_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.building_id or self.place_name}"


class CheckPhoto(models.Model):
    """A photo taken on a check: checked, re-encoded without metadata, as cases' photos are."""

    check_row = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("image"), upload_to="campaigns/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="campaigns/%Y/%m/thumbs/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "check_row__grid"

    class Meta:
        verbose_name = _("check photo")
        verbose_name_plural = _("check photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.check_row_id} photo {self.pk}"
