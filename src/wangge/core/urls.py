from django.urls import path

from wangge.core import views

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/<slug:kind>/template.csv", views.import_template, name="import-template"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("export/<slug:kind>.<str:fmt>", views.export, name="export"),
    path("views/save/", views.saved_view_save, name="saved-view-save"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved-view-delete"),
]
