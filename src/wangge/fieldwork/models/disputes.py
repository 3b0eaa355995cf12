"""Field work's disputes and people's mediation (矛盾纠纷与人民调解)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core import inputs
from wangge.core.crypto import mask_id_number, mask_phone
from wangge.core.fields import EncryptedCharField
from wangge.core.scope import ScopedQuerySet
from wangge.fieldwork.models.campaigns import Campaign

# 矛盾纠纷与人民调解: a dispute taken in by a grid (from a case, a screening drive, a walk-in),
# its parties (personal data encrypted, shown masked), the mediation sessions, the outcome —
# a written agreement (调解协议书), an oral one, none, or referred on — and the follow-up
# visits (回访). Written only through ``fieldwork.services.disputes``.


def mask_name(value: str | None) -> str:
    """``李秀兰`` → ``李**``: the first character (the family name), then two stars
    whatever the length (the length would tell a name apart)."""
    if not value:
        return ""
    return value[0] + "**"


def mask_address(value: str | None) -> str:
    """``郑州市中原区航海西路7号院2号楼2单元201`` → ``郑州市中原区****``: the first six
    characters (the city and district), never the door."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else "*" * len(value)


class DisputeKind(models.Model):
    """A kind of dispute (邻里、婚姻家庭、物业 …) — a standard kept as data, seeded from
    ``fixtures/dispute_kinds.json``."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("kind of dispute")
        verbose_name_plural = _("kinds of dispute")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class DisputeSource(models.TextChoices):
    CASE = "case", _("From a case")
    SCREENING = "screening", _("Screening drive")
    WALK_IN = "walk_in", _("Walk-in")
    OTHER = "other", _("Other")


class DisputeState(models.TextChoices):
    INTAKE = "intake", _("Taken in")
    MEDIATING = "mediating", _("Being mediated")
    AGREED = "agreed", _("Agreement reached")
    ORAL = "oral", _("Oral agreement")
    FAILED = "failed", _("No agreement")
    REFERRED = "referred", _("Referred on")
    CLOSED = "closed", _("Closed")


# The states a dispute has an outcome in (a follow-up visit may be recorded).
OUTCOME_STATES = {
    DisputeState.AGREED,
    DisputeState.ORAL,
    DisputeState.FAILED,
    DisputeState.REFERRED,
}
OPEN_STATES = {DisputeState.INTAKE, DisputeState.MEDIATING}


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")


class Dispute(models.Model):
    """A dispute (矛盾纠纷) taken in for people's mediation in a grid."""

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.ForeignKey(
        DisputeKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    facts = models.TextField(_("facts"), max_length=inputs.DESCRIPTION)
    points = models.TextField(_("points in dispute"), blank=True, max_length=inputs.NOTE)
    source = models.CharField(
        _("source"), max_length=16, choices=DisputeSource.choices, default=DisputeSource.OTHER
    )
    drive = models.CharField(
        _("screening drive"),
        max_length=200,
        blank=True,
        help_text=_("The screening drive it was found in, e.g. 矛盾纠纷排查化解."),
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("screening campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes",
        help_text=_("The dispute screening campaign (矛盾纠纷排查) it was found in."),
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mediators"), blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=DisputeState.choices, default=DisputeState.INTAKE
    )
    outcome_note = models.TextField(_("outcome"), blank=True, max_length=inputs.NOTE)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("taken in"), default=timezone.now, db_index=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken in by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def number(self) -> str:
        """The file's number (调解卷宗号): the year taken in and the id."""
        return f"TJ{timezone.localtime(self.received_at):%Y}-{self.pk:05d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class DisputeParty(models.Model):
    """A party to a dispute: a person of the register (who lives here), or someone typed in
    (name, phone, ID number and address encrypted, shown masked)."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="parties"
    )
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person (registered)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = EncryptedCharField(_("name"), mask=mask_name)
    phone = EncryptedCharField(_("phone"), mask=mask_phone)
    id_number = EncryptedCharField(_("ID number"), mask=mask_id_number)
    address = EncryptedCharField(_("address"), mask=mask_address)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["dispute_id", "sort", "id"]

    def __str__(self) -> str:
        # Audit events keep this text: masked.
        return f"{self.get_role_display()} {mask_name(self.full_name)}"

    @property
    def full_name(self) -> str:
        return self.person.name if self.person_id else self.name


class MediationSession(models.Model):
    """One mediation (调解记录): when, where, who came, what was said, by which mediators."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    present = models.ManyToManyField(
        DisputeParty, verbose_name=_("parties present"), blank=True, related_name="+"
    )
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mediators"), blank=True, related_name="+"
    )
    record = models.TextField(_("record"), max_length=inputs.NOTE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["dispute_id", "held_on", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.held_on}"


class Agreement(models.Model):
    """The agreement a mediation reached: written (调解协议书, with what the People's
    Mediation Law asks of it) or oral (recorded as text)."""

    dispute = models.OneToOneField(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="agreement"
    )
    oral = models.BooleanField(_("oral agreement"), default=False)
    facts = models.TextField(_("main facts"), blank=True, max_length=inputs.DESCRIPTION)
    responsibilities = models.TextField(
        _("points in dispute and responsibilities"), blank=True, max_length=inputs.NOTE
    )
    terms = models.TextField(_("terms agreed"), max_length=inputs.NOTE)
    performance = models.CharField(_("manner of performance"), max_length=200, blank=True)
    deadline = models.DateField(_("performed by"), null=True, blank=True)
    signed = models.BooleanField(_("signed"), default=False)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.dispute.title}"


class FollowUp(models.Model):
    """A follow-up visit (回访) after the outcome: is the agreement carried out, are the
    parties satisfied, is there a risk the dispute flares up again."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    visited_on = models.DateField(_("date"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    carried_out = models.BooleanField(_("carried out"))
    satisfied = models.BooleanField(_("satisfied"))
    risk = models.BooleanField(_("risk of escalation"))
    note = models.TextField(_("note"), blank=True, max_length=inputs.NOTE)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "dispute__grid"

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["dispute_id", "visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.visited_on}"
