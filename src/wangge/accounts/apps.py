from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "wangge.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from wangge.accounts import jobs  # noqa: F401  (registers the purge of sign-ins)
        from wangge.accounts.permissions import role_allows
        from wangge.core import scope

        scope.use_roles(role_allows)
