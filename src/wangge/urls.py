from django.contrib import admin
from django.urls import include, path

from wangge.api import api
from wangge.core import views as core_views

handler404 = "wangge.web.notfound.page_not_found"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("open311/v2/", include("wangge.open311.urls")),
    path("", include("wangge.accounts.urls")),
    path("", include("wangge.core.urls")),
    path("", include("wangge.cases.urls")),
    path("", include("wangge.lostfound.urls")),
    path("", include("wangge.fieldwork.urls")),
    path("", include("wangge.fieldwork.urls_campaigns")),
    path("", include("wangge.fieldwork.urls_errands")),
    path("", include("wangge.fieldwork.urls_disputes")),
    path("", include("wangge.fieldwork.urls_patrols")),
    path("", include("wangge.notices.urls")),
    path("m/", include("wangge.phone.urls")),
    path("map/", include("wangge.maps.urls")),
    path("dashboard/", include("wangge.dashboards.urls")),
    path("registry/", include("wangge.people.urls")),
    path("", include("wangge.web.urls")),
]
