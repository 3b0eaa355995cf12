from django.urls import path

from wangge.cases import public, views

urlpatterns = [
    path("cases/", views.case_list, name="case-console-list"),
    path("cases/new/", views.case_new, name="case-console-new"),
    path("cases/bulk/", views.case_bulk, name="case-console-bulk"),
    path("cases/new/duplicates/", views.case_duplicates, name="case-console-duplicates"),
    path("cases/<int:pk>/", views.case_detail, name="case-console-detail"),
    path("cases/<int:pk>/act/<str:action>/", views.case_act, name="case-console-act"),
    path("cases/<int:pk>/reveal/", views.case_reveal, name="case-console-reveal"),
    path("r/<str:grid_code>/", public.report, name="case-report"),
    path("r/<str:grid_code>/poster/", public.grid_poster, name="case-report-poster"),
    path("t/", public.track, name="case-track-form"),
    path("t/<str:code>/", public.track, name="case-track"),
]
