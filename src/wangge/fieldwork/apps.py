from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "wangge.fieldwork"
    label = "fieldwork"
    verbose_name = _("Field work")

    def ready(self):
        # Visit plans follow the register: its services emit, the handlers recompute.
        # A case's page shows the dispute mediated from it (cases cannot import fieldwork).
        from wangge.cases.related import register
        from wangge.fieldwork import exports, handlers, plans  # noqa: F401
        from wangge.fieldwork.disputes import case_lines

        register(case_lines)
