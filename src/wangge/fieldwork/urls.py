from django.urls import path

from wangge.fieldwork import views

urlpatterns = [
    path("fieldwork/", views.overview, name="fieldwork-home"),
    path("visits/", views.plan_list, name="visit-plan-list"),
]
