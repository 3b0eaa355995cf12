from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "wangge.notices"
    label = "notices"
    verbose_name = _("Notices")

    def ready(self):
        # Registers the outbox's drainer and the late-case reminders with the worker, and the
        # notice list's export.
        from wangge.notices import exports, jobs  # noqa: F401
