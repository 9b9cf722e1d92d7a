"""URLs of the project and dataset pages (namespace "projects"); they live here as they create and count tasks."""

from django.urls import path

from labeling.views import buckets, datasets, projects

app_name = "projects"
urlpatterns = [
    path("", projects.project_list, name="list"),
    path("projects/new", projects.project_create, name="create"),
    path("projects/<int:pk>/", projects.project_detail, name="detail"),
    path("projects/<int:pk>/edit", projects.project_edit, name="edit"),
    path("projects/<int:pk>/delete", projects.project_delete, name="delete"),
    path("projects/<int:pk>/images", projects.upload_images, name="upload_images"),
    path("projects/<int:pk>/configuration", projects.edit_configuration, name="configuration"),
    path("projects/<int:pk>/configuration/check", projects.check_configuration, name="check_configuration"),
    path("projects/<int:pk>/members", projects.members, name="members"),
    path("datasets/", datasets.dataset_list, name="datasets"),
    path("datasets/<int:pk>/", datasets.dataset_detail, name="dataset"),
    path("datasets/<int:pk>/upload", datasets.dataset_upload, name="dataset_upload"),
    path("datasets/<int:pk>/urls", datasets.dataset_urls, name="dataset_urls"),
    path("datasets/<int:pk>/attach", datasets.dataset_attach, name="dataset_attach"),
    path("datasets/<int:pk>/buckets", buckets.connect, name="bucket_connect"),
    path("datasets/<int:pk>/buckets/<int:source_id>/sync", buckets.sync, name="bucket_sync"),
    path("datasets/<int:pk>/buckets/<int:source_id>/credentials", buckets.credentials, name="bucket_credentials"),
    path("datasets/<int:pk>/buckets/<int:source_id>/disconnect", buckets.disconnect, name="bucket_disconnect"),
    path("account/api-tokens", projects.api_tokens, name="api_tokens"),
    path("media/<uuid:media_id>/file", projects.media_file, name="media_file"),
    path("media/<uuid:media_id>/thumbnail", projects.media_thumbnail, name="media_thumbnail"),
]
