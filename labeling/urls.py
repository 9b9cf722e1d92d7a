"""URLs of the labeling pages (task list, queue, workspace, review, import); their API is api/urls.py."""

from django.urls import path

from labeling.views import imports, review, task_list, workspace

app_name = "labeling"
urlpatterns = [
    path("projects/<int:pk>/tasks", task_list.task_list, name="task_list"),
    path("projects/<int:pk>/label", workspace.start_labeling, name="queue"),
    path("tasks/<int:task_id>/label", workspace.workspace, name="workspace"),
    path("projects/<int:pk>/review", review.start_reviewing, name="review_queue"),
    path("tasks/<int:task_id>/review", review.review_task, name="review"),
    path("projects/<int:pk>/import", imports.import_page, name="import"),
    path("projects/<int:pk>/imports/<int:job_id>", imports.import_report, name="import_report"),
    path("projects/<int:pk>/imports/<int:job_id>/status", imports.import_status, name="import_status"),
]
