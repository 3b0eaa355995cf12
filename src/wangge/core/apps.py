from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wangge.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from wangge.core import (
            audit_export,  # noqa: F401  (registers the audit log's export)
            housekeeping,  # noqa: F401  (registers the hourly purge)
            memo,
        )

        memo.connect()
