from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LostFoundConfig(AppConfig):
    name = "wangge.lostfound"
    label = "lostfound"
    verbose_name = _("Lost and found")

    def ready(self):
        # Registers the found-item export.
        from wangge.lostfound import exports  # noqa: F401
