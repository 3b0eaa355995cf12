from django.urls import path

from wangge.phone import campaigns, disputes, errands, patrols, views, visits

urlpatterns = [
    path("", views.tasks, name="phone-tasks"),
    path("report/", views.report, name="phone-report"),
    path("grid/", views.grid, name="phone-grid"),
    path("visits/", visits.due, name="phone-visits"),
    path("households/<int:pk>/visit/", visits.visit, name="phone-visit"),
    path("campaigns/", campaigns.campaigns, name="phone-campaigns"),
    path("campaigns/<int:pk>/check/<int:building>/", campaigns.check, name="phone-campaign-check"),
    path("disputes/", disputes.dispute_list, name="phone-disputes"),
    path("disputes/<int:pk>/", disputes.dispute_detail, name="phone-dispute"),
    path("tasks/<int:pk>/", views.task, name="phone-task"),
    path("tasks/<int:pk>/<str:action>/", views.task_act, name="phone-task-act"),
    path("cases/<int:pk>/", views.case, name="phone-case"),
    path("cases/<int:pk>/reveal/", views.case_reveal, name="phone-case-reveal"),
    path("cases/<int:pk>/<str:action>/", views.case_act, name="phone-case-act"),
    path("errands/", errands.mine, name="phone-errands"),
    path("errands/<int:pk>/", errands.detail, name="phone-errand"),
    path("errands/<int:pk>/<str:action>/", errands.move, name="phone-errand-act"),
    path("patrols/", patrols.patrols_page, name="phone-patrols"),
    path("patrols/<int:pk>/", patrols.patrol_page, name="phone-patrol"),
    path("patrols/<int:pk>/start/", patrols.patrol_start, name="phone-patrol-start"),
    path("patrols/<int:pk>/findings/", patrols.patrol_finding, name="phone-patrol-finding"),
    path("patrols/<int:pk>/scan/", patrols.patrol_scan, name="phone-patrol-scan"),
    path("patrols/<int:pk>/finish/", patrols.patrol_finish, name="phone-patrol-finish"),
    path("checkpoints/<str:code>/", patrols.checkpoint_page, name="phone-checkpoint"),
    path("manifest.webmanifest", views.manifest, name="phone-manifest"),
    path("sw.js", views.service_worker, name="phone-sw"),
]
