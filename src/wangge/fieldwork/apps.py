from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "wangge.fieldwork"
    label = "fieldwork"
    verbose_name = _("Field work")

    def ready(self):
        # Visit plans follow the register: its services emit, the handlers recompute.
        from wangge.fieldwork import exports, handlers, plans  # noqa: F401
