"""Routes of the native REST API, included under /api/ (paths have no trailing slash)."""

from django.urls import path

from projects import api

app_name = "api"
urlpatterns = [
    path("projects", api.ProjectList.as_view(), name="projects"),
    path("projects/<int:pk>", api.ProjectDetail.as_view(), name="project"),
    path("projects/<int:pk>/configuration", api.ConfigurationView.as_view(), name="configuration"),
    path("projects/<int:pk>/members", api.MemberList.as_view(), name="members"),
    path("projects/<int:pk>/members/<int:member_id>", api.MemberDetail.as_view(), name="member"),
    path("projects/<int:pk>/datasets", api.ProjectDatasetList.as_view(), name="project-datasets"),
    path("projects/<int:pk>/datasets/<int:dataset_id>", api.ProjectDatasetDetail.as_view(), name="project-dataset"),
    path("projects/<int:pk>/tasks", api.TaskList.as_view(), name="tasks"),
    path("datasets", api.DatasetList.as_view(), name="datasets"),
    path("datasets/<int:pk>", api.DatasetDetail.as_view(), name="dataset"),
    path("datasets/<int:pk>/media", api.DatasetMediaList.as_view(), name="dataset-media"),
    path("datasets/<int:pk>/url-imports", api.DatasetUrlImports.as_view(), name="dataset-url-imports"),
    path("url-imports/<int:job_id>", api.UrlImportDetail.as_view(), name="url-import"),
    path("media/<uuid:media_id>", api.MediaDetail.as_view(), name="media"),
    path("media/<uuid:media_id>/file", api.MediaFile.as_view(), name="media-file"),
    path("tasks/<int:task_id>", api.TaskDetail.as_view(), name="task"),
    path("tasks/<int:task_id>/state", api.TaskMove.as_view(), name="task-state"),
    path("tasks/<int:task_id>/assign", api.TaskAssign.as_view(), name="task-assign"),
]
