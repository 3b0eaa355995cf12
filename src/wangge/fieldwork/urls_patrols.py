from django.urls import path

from wangge.fieldwork import views_patrols as views

urlpatterns = [
    path("patrols/", views.patrol_list, name="patrol-list"),
    path("patrols/new/", views.patrol_plan, name="patrol-plan"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol-detail"),
    path("patrols/checkpoints/", views.checkpoint_list, name="checkpoint-list"),
    path("patrols/checkpoints/<int:pk>/label/", views.checkpoint_label, name="checkpoint-label"),
    path(
        "patrols/checkpoints/<int:pk>/retire/",
        views.checkpoint_retire,
        name="checkpoint-retire",
    ),
]
