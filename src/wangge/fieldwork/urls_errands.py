from django.urls import path

from wangge.fieldwork import views_errands as views

urlpatterns = [
    path("grid-team/", views.team_page, name="grid-team"),
    path("grid-team/add/", views.team_member_add, name="grid-team-add"),
    path(
        "grid-team/<int:membership_id>/buildings/", views.team_building, name="grid-team-building"
    ),
    path("errands/", views.errand_list, name="errand-list"),
    path("errands/new/", views.errand_new, name="errand-new"),
    path("errands/<int:pk>/", views.errand_detail, name="errand-detail"),
    path("errands/<int:pk>/<str:action>/", views.errand_act, name="errand-act"),
]
