from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "wangge.notices"
    label = "notices"
    verbose_name = _("Notices")

    def ready(self):
        # Registers the outbox's drainer, the late-case reminders and the forgetting of
        # confirmation codes with the worker, the notice list's export, the check of
        # WANGGE_SITE_URL, and the handlers of domain events (a case's change to its
        # followers).
        from wangge.notices import checks, exports, handlers, jobs  # noqa: F401
