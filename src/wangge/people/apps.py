from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "wangge.people"
    label = "people"
    verbose_name = _("People")

    def ready(self):
        from wangge.people import importers  # noqa: F401  (registers the import kinds)
