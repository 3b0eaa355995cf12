from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core import inputs
from wangge.core.crypto import mask_phone
from wangge.core.fields import EncryptedCharField
from wangge.core.scope import ScopedQuerySet

USER = settings.AUTH_USER_MODEL


class FoundItem(models.Model):
    """A found item in the community's keeping (失物招领), until its owner takes it."""

    class ItemState(models.TextChoices):
        HELD = "held", _("In our keeping")
        HANDED_OVER = "handed_over", _("Handed to its owner")
        DISPOSED = "disposed", _("Passed on (unclaimed)")

    grid = models.ForeignKey(
        "territory.Node", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="found_item",
    )
    # The item's lost-and-found notice, once published (notices know nothing of found items).
    notice = models.OneToOneField(
        "notices.Notice",
        verbose_name=_("notice"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="found_item",
    )
    what = models.CharField(_("what"), max_length=200)
    where = models.CharField(_("where found"), max_length=200)
    found_at = models.DateTimeField(_("when found"))
    finder_name = models.CharField(_("finder"), max_length=64, blank=True)
    finder_phone = EncryptedCharField(_("finder's phone"), mask=mask_phone)
    kept_at = models.CharField(_("kept at"), max_length=200, blank=True)
    contact_phone = models.CharField(
        _("phone to call"), max_length=32, blank=True, help_text=_("The office's, for notices.")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ItemState.choices, default=ItemState.HELD
    )
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "grid"

    class Meta:
        verbose_name = _("found item")
        verbose_name_plural = _("found items")
        ordering = ["-found_at"]

    def __str__(self):
        return self.what


class Claim(models.Model):
    """Someone saying a found item is theirs: checked, then handed over (with a record)."""

    class ClaimState(models.TextChoices):
        PENDING = "pending", _("To be checked")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not theirs")
        HANDED_OVER = "handed_over", _("Handed over")

    item = models.ForeignKey(FoundItem, on_delete=models.CASCADE, related_name="claims")
    claimant_name = models.CharField(_("claimant"), max_length=64)
    claimant_phone = EncryptedCharField(_("claimant's phone"), mask=mask_phone)
    claimant_address = models.CharField(_("claimant's address"), max_length=200, blank=True)
    proof = models.TextField(_("how they showed it is theirs"), blank=True, max_length=inputs.NOTE)
    state = models.CharField(
        _("state"), max_length=16, choices=ClaimState.choices, default=ClaimState.PENDING
    )
    checked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True, max_length=inputs.NOTE)
    created_at = models.DateTimeField(_("claimed at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "item__grid"

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.item} ← {self.claimant_name}"
