from django.urls import path

from wangge.cases import lostfound_views

urlpatterns = [
    path("found/<int:pk>/poster/", lostfound_views.poster, name="found-poster"),
    path("found/<str:code>/", lostfound_views.notice, name="found-notice"),
]
