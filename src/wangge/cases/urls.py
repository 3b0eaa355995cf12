from django.urls import path

from wangge.cases import views

urlpatterns = [
    path("cases/", views.case_list, name="case-console-list"),
    path("cases/new/", views.case_new, name="case-console-new"),
    path("cases/bulk/", views.case_bulk, name="case-console-bulk"),
    path("cases/new/duplicates/", views.case_duplicates, name="case-console-duplicates"),
    path("cases/<int:pk>/", views.case_detail, name="case-console-detail"),
    path("cases/<int:pk>/act/<str:action>/", views.case_act, name="case-console-act"),
    path("cases/<int:pk>/reveal/", views.case_reveal, name="case-console-reveal"),
]
