from django.urls import path

from wangge.field import views, visits

urlpatterns = [
    path("", views.tasks, name="field-tasks"),
    path("report/", views.report, name="field-report"),
    path("grid/", views.grid, name="field-grid"),
    path("households/<int:pk>/visit/", visits.visit, name="field-visit"),
    path("tasks/<int:pk>/", views.task, name="field-task"),
    path("tasks/<int:pk>/<str:action>/", views.task_act, name="field-task-act"),
    path("cases/<int:pk>/", views.case, name="field-case"),
    path("cases/<int:pk>/reveal/", views.case_reveal, name="field-case-reveal"),
    path("cases/<int:pk>/<str:action>/", views.case_act, name="field-case-act"),
    path("manifest.webmanifest", views.manifest, name="field-manifest"),
    path("sw.js", views.service_worker, name="field-sw"),
]
