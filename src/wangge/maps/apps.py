from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsConfig(AppConfig):
    name = "wangge.maps"
    label = "maps"
    verbose_name = _("Map")

    def ready(self):
        # Registers the check of the tile settings.
        from wangge.maps import checks  # noqa: F401
