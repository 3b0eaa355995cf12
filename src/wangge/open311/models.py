from django.db import models
from django.utils.translation import gettext_lazy as _


class Open311Client(models.Model):
    """An application allowed to file cases through Open311 (its ``api_key``, stored hashed)."""

    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("within"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Requests outside this node are refused. Empty: anywhere."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
