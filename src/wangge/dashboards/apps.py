from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "wangge.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboard")
