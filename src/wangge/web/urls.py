from django.urls import path

from wangge.web import residents, views

urlpatterns = [
    path("", views.home, name="home"),
    # Residents' pages, which show a case or a grid with its notices.
    path("r/<str:grid_code>/", residents.report, name="case-report"),
    path("r/<str:grid_code>/poster/", residents.grid_poster, name="case-report-poster"),
    path("t/", residents.track, name="case-track-form"),
    path("t/<str:code>/", residents.track, name="case-track"),
    path("audit/", views.audit_list, name="audit-list"),
]
