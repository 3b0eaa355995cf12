from django.urls import path

from wangge.lostfound import views

urlpatterns = [
    path("found/", views.found_list, name="found-list"),
    path("found/new/", views.found_new, name="found-new"),
    path("found/<int:pk>/", views.found_detail, name="found-detail"),
    path("found/<int:pk>/edit/", views.found_edit, name="found-edit"),
    path("found/<int:pk>/claims/", views.found_claim, name="found-claim"),
    path(
        "found/<int:pk>/claims/<int:claim_pk>/check/",
        views.found_check,
        name="found-check",
    ),
    path(
        "found/<int:pk>/claims/<int:claim_pk>/hand-over/",
        views.found_hand_over,
        name="found-hand-over",
    ),
    path("found/<int:pk>/notice/", views.found_publish, name="found-publish"),
    path("found/<int:pk>/poster/", views.poster, name="found-poster"),
    # The public notice's code is "<number>-<check>", so it never matches the pages above.
    path("found/<str:code>/", views.notice, name="found-notice"),
    path(
        "found/<str:code>/photos/<int:photo_pk>/",
        views.notice_photo,
        name="found-notice-photo",
    ),
    path(
        "found/<str:code>/photos/<int:photo_pk>/thumbnail/",
        views.notice_photo,
        {"thumbnail": True},
        name="found-notice-thumbnail",
    ),
]
