from django.urls import path

from wangge.fieldwork import views_disputes as views

urlpatterns = [
    path("disputes/", views.dispute_list, name="dispute-list"),
    path("disputes/new/", views.dispute_new, name="dispute-new"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute-detail"),
    path("disputes/<int:pk>/session/", views.dispute_session, name="dispute-session"),
    path("disputes/<int:pk>/outcome/", views.dispute_outcome, name="dispute-outcome"),
    path("disputes/<int:pk>/signed/", views.dispute_signed, name="dispute-signed"),
    path("disputes/<int:pk>/follow-up/", views.dispute_follow_up, name="dispute-follow-up"),
    path("disputes/<int:pk>/close/", views.dispute_close, name="dispute-close"),
    path("disputes/<int:pk>/agreement/", views.dispute_agreement, name="dispute-agreement"),
]
