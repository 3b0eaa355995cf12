import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Door, Role
from wangge.core.scope import ScopedQuerySet


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    # The bearer token a request came in with (``services.user_for_token``), so the API can
    # revoke it; ``None`` for a user signed in any other way.
    api_token: "ApiToken | None" = None

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    @property
    def name(self) -> str:
        """The person's name, as exports and reports give it: the display name, else the
        full name; an account with neither is named by its login, labelled as such."""
        name = self.display_name or self.get_full_name()
        if name:
            return name
        return gettext("%(login)s (account)") % {"login": self.username}

    @property
    def label(self) -> str:
        """Name and login, as the audit log keeps them."""
        if self.display_name:
            return f"{self.display_name} ({self.username})"
        return self.username


class Membership(models.Model):
    """A user holds a role on a territory node, and so acts on everything beneath it."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("territory node"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    title = models.CharField(_("title"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "node"

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["node__path", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "node", "role"], name="accounts_membership_unique"
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.node}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class LoginAttempt(models.Model):
    """Failed and successful sign-ins, kept for throttling and for the record."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    door = models.CharField(_("door"), max_length=8, choices=Door.choices, default=Door.PAGE)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"])]

    def __str__(self):
        return f"{self.username} {self.ip} {'ok' if self.succeeded else 'failed'}"
