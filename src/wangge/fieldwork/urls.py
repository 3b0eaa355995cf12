from django.urls import path

from wangge.fieldwork import views

urlpatterns = [
    path("visits/", views.plan_list, name="visit-plan-list"),
]
