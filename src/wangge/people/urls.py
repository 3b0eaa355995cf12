from django.urls import path

from wangge.people import views

urlpatterns = [
    path("households/", views.household_list, name="registry-households"),
    path("households/<int:pk>/", views.household_detail, name="registry-household"),
    path("persons/", views.person_list, name="registry-persons"),
    path("persons/<int:pk>/", views.person_detail, name="registry-person"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="registry-person-reveal"),
]
