"""URLs of the export pages and endpoints."""

app_name = "exports"
urlpatterns = []
