"""URLs of the export pages and endpoints: the export page, downloads, masks and the exports API."""

from django.urls import path

from exports import views

app_name = "exports"
urlpatterns = [
    path("projects/<int:project_id>/export", views.export_page, name="page"),
    path("exports/<int:pk>/download", views.download_json, name="download"),
    path("exports/<int:pk>/download.zip", views.download_archive, name="archive"),
    path("exports/<int:pk>/masks/<uuid:media_id>/<str:key>.png", views.mask, name="mask"),
    path("api/projects/<int:project_id>/exports", views.ProjectExportsView.as_view(), name="api_project_exports"),
    path("api/exports/<int:pk>", views.ExportJobView.as_view(), name="job"),
]
