from django.urls import path

from wangge.territory import views

urlpatterns = [
    path("", views.registry, name="registry"),
    path("nodes/<str:code>/", views.node_detail, name="registry-node"),
    path("buildings/", views.building_list, name="registry-buildings"),
    path("buildings/<int:pk>/", views.building_detail, name="registry-building"),
]
