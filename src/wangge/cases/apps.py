from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Registers the sweep and the hotline import.
        from wangge.cases import importers, jobs  # noqa: F401
