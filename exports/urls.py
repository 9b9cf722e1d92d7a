"""URLs of the export and release pages: pages, downloads, masks and signed release files (their API is api/urls.py)."""

from django.urls import path

from exports import views

app_name = "exports"
urlpatterns = [
    path("projects/<int:project_id>/export", views.export_page, name="page"),
    path("exports/<int:pk>/download", views.download_json, name="download"),
    path("exports/<int:pk>/download.zip", views.download_archive, name="archive"),
    path("exports/<int:pk>/masks/<uuid:media_id>/<str:key>.png", views.mask, name="mask"),
    path("projects/<int:project_id>/releases", views.release_page, name="releases"),
    path("releases/<int:pk>/download", views.download_release, name="release_download"),
    path("releases/<int:pk>/coco", views.download_coco, name="release_coco"),
    path("release-files/<str:token>/<str:filename>", views.release_file, name="release_file"),
]
