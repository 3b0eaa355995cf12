from django.urls import path

from wangge.fieldwork import views_campaigns as views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/report/", views.campaign_report, name="campaign-report"),
    path("campaigns/<int:pk>/teams/<int:team_pk>/", views.campaign_team, name="campaign-team"),
    path("campaigns/<int:pk>/<str:action>/", views.campaign_act, name="campaign-act"),
    path("campaigns/photos/<int:pk>/", views.check_photo, name="campaign-photo"),
    path(
        "campaigns/photos/<int:pk>/thumbnail/",
        views.check_photo,
        {"size": "thumbnail"},
        name="campaign-photo-thumbnail",
    ),
]
