"""URLs of the project pages."""

from django.urls import path

from projects import dataset_views, views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("projects/new", views.project_create, name="create"),
    path("projects/<int:pk>/", views.project_detail, name="detail"),
    path("projects/<int:pk>/edit", views.project_edit, name="edit"),
    path("projects/<int:pk>/delete", views.project_delete, name="delete"),
    path("projects/<int:pk>/images", views.upload_images, name="upload_images"),
    path("projects/<int:pk>/configuration", views.edit_configuration, name="configuration"),
    path("projects/<int:pk>/configuration/check", views.check_configuration, name="check_configuration"),
    path("projects/<int:pk>/members", views.members, name="members"),
    path("datasets/", dataset_views.dataset_list, name="datasets"),
    path("datasets/<int:pk>/", dataset_views.dataset_detail, name="dataset"),
    path("datasets/<int:pk>/upload", dataset_views.dataset_upload, name="dataset_upload"),
    path("datasets/<int:pk>/urls", dataset_views.dataset_urls, name="dataset_urls"),
    path("datasets/<int:pk>/attach", dataset_views.dataset_attach, name="dataset_attach"),
    path("account/api-tokens", views.api_tokens, name="api_tokens"),
    path("media/<uuid:media_id>/file", views.media_file, name="media_file"),
    path("media/<uuid:media_id>/thumbnail", views.media_thumbnail, name="media_thumbnail"),
]
