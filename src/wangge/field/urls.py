from django.urls import path

from wangge.field import views, visits

urlpatterns = [
    path("", views.tasks, name="field-tasks"),
    path("report/", views.report, name="field-report"),
    path("grid/", views.grid, name="field-grid"),
    path("households/<int:pk>/visit/", visits.visit, name="field-visit"),
    path("tasks/<int:pk>/", views.task, name="field-task"),
    path("tasks/<int:pk>/<str:action>/", views.task_act, name="field-task-act"),
    path("manifest.webmanifest", views.manifest, name="field-manifest"),
    path("sw.js", views.service_worker, name="field-sw"),
]
