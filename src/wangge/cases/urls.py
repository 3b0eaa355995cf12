from django.urls import path

from wangge.cases import public

urlpatterns = [
    path("r/<str:grid_code>/", public.report, name="case-report"),
    path("r/<str:grid_code>/poster/", public.grid_poster, name="case-report-poster"),
    path("t/", public.track, name="case-track-form"),
    path("t/<str:code>/", public.track, name="case-track"),
]
