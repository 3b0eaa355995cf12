from django.urls import path

from wangge.people import registry_views, views

urlpatterns = [
    path("", registry_views.registry, name="registry"),
    path("nodes/<str:code>/", registry_views.node_detail, name="registry-node"),
    path("buildings/", registry_views.building_list, name="registry-buildings"),
    path("buildings/<int:pk>/", registry_views.building_detail, name="registry-building"),
    path("households/", views.household_list, name="registry-households"),
    path("households/<int:pk>/", views.household_detail, name="registry-household"),
    path("households/<int:pk>/edit/", views.household_edit, name="registry-household-edit"),
    path(
        "households/<int:household_pk>/persons/new/",
        views.person_new,
        name="registry-person-new",
    ),
    path("households/<int:household_pk>/visits/new/", views.visit_new, name="registry-visit-new"),
    path(
        "buildings/<int:building_pk>/households/new/",
        views.household_new,
        name="registry-household-new",
    ),
    path("persons/", views.person_list, name="registry-persons"),
    path("persons/<int:pk>/", views.person_detail, name="registry-person"),
    path("persons/<int:pk>/edit/", views.person_edit, name="registry-person-edit"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="registry-person-reveal"),
]
