"""Every route of the native REST API, included under /api/ (paths have no trailing slash)."""

from django.urls import path

from api import buckets, exports, imports, labels, projects, url_imports

app_name = "api"
urlpatterns = [
    path("projects", projects.ProjectList.as_view(), name="projects"),
    path("projects/<int:pk>", projects.ProjectDetail.as_view(), name="project"),
    path("projects/<int:pk>/configuration", projects.ConfigurationView.as_view(), name="configuration"),
    path("projects/<int:pk>/members", projects.MemberList.as_view(), name="members"),
    path("projects/<int:pk>/members/<int:member_id>", projects.MemberDetail.as_view(), name="member"),
    path("projects/<int:pk>/datasets", projects.ProjectDatasetList.as_view(), name="project-datasets"),
    path(
        "projects/<int:pk>/datasets/<int:dataset_id>", projects.ProjectDatasetDetail.as_view(), name="project-dataset"
    ),
    path("projects/<int:pk>/tasks", projects.TaskList.as_view(), name="tasks"),
    path("projects/<int:pk>/imports", imports.ImportsView.as_view(), name="imports"),
    path("projects/<int:project_id>/exports", exports.ProjectExportsView.as_view(), name="project-exports"),
    path("projects/<int:project_id>/releases", exports.ProjectReleasesView.as_view(), name="project-releases"),
    path("datasets", projects.DatasetList.as_view(), name="datasets"),
    path("datasets/<int:pk>", projects.DatasetDetail.as_view(), name="dataset"),
    path("datasets/<int:pk>/media", projects.DatasetMediaList.as_view(), name="dataset-media"),
    path("datasets/<int:pk>/url-imports", url_imports.DatasetUrlImports.as_view(), name="dataset-url-imports"),
    path("url-imports/<int:job_id>", url_imports.UrlImportDetail.as_view(), name="url-import"),
    path("datasets/<int:pk>/bucket-sources", buckets.DatasetBucketSources.as_view(), name="dataset-bucket-sources"),
    path("bucket-sources/<int:source_id>", buckets.BucketSourceDetail.as_view(), name="bucket-source"),
    path("bucket-sources/<int:source_id>/syncs", buckets.BucketSourceSyncs.as_view(), name="bucket-source-syncs"),
    path("bucket-syncs/<int:job_id>", buckets.BucketSyncDetail.as_view(), name="bucket-sync"),
    path("media/<uuid:media_id>", projects.MediaDetail.as_view(), name="media"),
    path("media/<uuid:media_id>/file", projects.MediaFile.as_view(), name="media-file"),
    path("tasks/<int:task_id>", projects.TaskDetail.as_view(), name="task"),
    path("tasks/<int:task_id>/state", projects.TaskMove.as_view(), name="task-state"),
    path("tasks/<int:task_id>/assign", projects.TaskAssign.as_view(), name="task-assign"),
    path("tasks/<int:task_id>/labels", labels.TaskLabelsView.as_view(), name="task-labels"),
    path("tasks/<int:task_id>/skip", labels.SkipView.as_view(), name="task-skip"),
    path("tasks/<int:task_id>/complete", labels.CompleteView.as_view(), name="task-complete"),
    path("tasks/<int:task_id>/accept", labels.AcceptView.as_view(), name="task-accept"),
    path("tasks/<int:task_id>/reject", labels.RejectView.as_view(), name="task-reject"),
    path("exports/<int:pk>", exports.ExportJobView.as_view(), name="export"),
    path("releases/<int:pk>", exports.ReleaseView.as_view(), name="release"),
]
