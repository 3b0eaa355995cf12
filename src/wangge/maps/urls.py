from django.urls import path

from wangge.maps import views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("grids.geojson", views.grids, name="map-grids"),
    path("buildings.geojson", views.buildings, name="map-buildings"),
    path("cases.geojson", views.cases, name="map-cases"),
]
