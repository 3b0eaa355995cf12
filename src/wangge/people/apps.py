from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "wangge.people"
    label = "people"
    verbose_name = _("People")

    def ready(self):
        from wangge.people import (
            handlers,  # noqa: F401  (residents follow their building: core.events)
            importers,  # noqa: F401  (registers the import kinds)
        )
