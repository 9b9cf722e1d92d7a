"""URLs of the labeling pages and endpoints (queue, workspace, review, import)."""

app_name = "labeling"
urlpatterns = []
