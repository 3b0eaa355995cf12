from django.urls import path

from wangge.cases import lostfound_views

urlpatterns = [
    path("found/", lostfound_views.found_list, name="found-list"),
    path("found/new/", lostfound_views.found_new, name="found-new"),
    path("found/<int:pk>/", lostfound_views.found_detail, name="found-detail"),
    path("found/<int:pk>/edit/", lostfound_views.found_edit, name="found-edit"),
    path("found/<int:pk>/claims/", lostfound_views.found_claim, name="found-claim"),
    path(
        "found/<int:pk>/claims/<int:claim_pk>/check/",
        lostfound_views.found_check,
        name="found-check",
    ),
    path(
        "found/<int:pk>/claims/<int:claim_pk>/hand-over/",
        lostfound_views.found_hand_over,
        name="found-hand-over",
    ),
    path("found/<int:pk>/notice/", lostfound_views.found_publish, name="found-publish"),
    path("found/<int:pk>/poster/", lostfound_views.poster, name="found-poster"),
    # The public notice's code is "<number>-<check>", so it never matches the pages above.
    path("found/<str:code>/", lostfound_views.notice, name="found-notice"),
    path(
        "found/<str:code>/photos/<int:photo_pk>/",
        lostfound_views.notice_photo,
        name="found-notice-photo",
    ),
    path(
        "found/<str:code>/photos/<int:photo_pk>/thumbnail/",
        lostfound_views.notice_photo,
        {"thumbnail": True},
        name="found-notice-thumbnail",
    ),
]
