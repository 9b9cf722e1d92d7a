"""URLs of the labeling pages and endpoints (queue, workspace, review, import)."""

from django.urls import path

from labeling import api
from labeling.views import imports, review, tasks, workspace

app_name = "labeling"
urlpatterns = [
    path("projects/<int:pk>/tasks", tasks.task_list, name="task_list"),
    path("projects/<int:pk>/label", workspace.start_labeling, name="queue"),
    path("tasks/<int:task_id>/label", workspace.workspace, name="workspace"),
    path("projects/<int:pk>/review", review.start_reviewing, name="review_queue"),
    path("tasks/<int:task_id>/review", review.review_task, name="review"),
    path("api/tasks/<int:task_id>/labels", api.TaskLabelsView.as_view(), name="api_labels"),
    path("api/tasks/<int:task_id>/skip", api.SkipView.as_view(), name="api_skip"),
    path("api/tasks/<int:task_id>/complete", api.CompleteView.as_view(), name="api_complete"),
    path("api/tasks/<int:task_id>/accept", api.AcceptView.as_view(), name="api_accept"),
    path("api/tasks/<int:task_id>/reject", api.RejectView.as_view(), name="api_reject"),
    path("projects/<int:pk>/import", imports.import_page, name="import"),
    path("projects/<int:pk>/imports/<int:job_id>", imports.import_report, name="import_report"),
    path("projects/<int:pk>/imports/<int:job_id>/status", imports.import_status, name="import_status"),
    path("api/projects/<int:pk>/imports", imports.ImportsView.as_view(), name="api_imports"),
]
