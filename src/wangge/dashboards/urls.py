from django.urls import path

from wangge.dashboards import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
