from django.urls import path

from wangge.notices import public, views

urlpatterns = [
    path("notices/", views.notice_list, name="notice-list"),
    path("notices/new/", views.notice_new, name="notice-new"),
    path("notices/robots/", views.robot_list, name="notice-robots"),
    path("notices/robots/<int:pk>/switch/", views.robot_switch, name="notice-robot-switch"),
    path("notices/<int:pk>/", views.notice_detail, name="notice-detail"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice-edit"),
    path("notices/<int:pk>/publish/", views.notice_publish, name="notice-publish"),
    path("notices/<int:pk>/review/", views.notice_review, name="notice-review"),
    path("notices/<int:pk>/withdraw/", views.notice_withdraw, name="notice-withdraw"),
    path("notices/<int:pk>/files/", views.notice_file, name="notice-file"),
    path("notices/<int:pk>/files/<int:file_pk>/", views.notice_file_get, name="notice-file-get"),
    path("notices/<int:pk>/poster/", views.notice_poster, name="notice-poster"),
    # Residents: follow a grid's notices or a case by SMS; a published notice and its files.
    path("r/<str:grid_code>/follow/", public.follow_grid, name="notice-follow-grid"),
    path("t/<str:code>/follow/", public.follow_case, name="notice-follow-case"),
    path("follow/<str:token>/", public.follow_confirm, name="notice-follow-confirm"),
    path("n/<int:pk>/", public.notice, name="notice-public"),
    path("n/<int:pk>/files/<int:file_pk>/", public.public_file, name="notice-public-file"),
]
