from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "wangge.territory"
    label = "territory"
    verbose_name = _("Territory")

    def ready(self):
        from wangge.territory import importers  # noqa: F401  (registers the import kinds)
