"""Routes of the DataGym v1 API (docs/datagym-v1.md section 5), included at the site root.

Paths have no trailing slash. Every route accepts an optional extra leading slash, written
``(?:/)?`` so Django's check for routes starting with "/" stays quiet: the client
calls ``<base_url>/api/v1/config/...`` and some servers pass the resulting ``//`` through
(docs/datagym-v1.md section 7). The final catch-all answers unknown paths with an ErrorTO 404 for every method.
"""

from django.urls import re_path

from datagym_v1 import errors, views

app_name = "datagym_v1"
ID = r"(?P<{}>[^/]+)"


def route(pattern, view, name):
    return re_path(r"^(?:/)?api/v1/" + pattern.format(**{n: ID.format(n) for n in _NAMES}) + "$", view, name=name)


_NAMES = ("project_id", "dataset_id", "media_id", "config_id", "task_id", "entry_key")

urlpatterns = [
    route("project", views.projects, "projects"),
    route("project/{project_id}/dataset/{dataset_id}", views.connect_dataset, "connect_dataset"),
    route("project/{project_id}/dataset/{dataset_id}/remove", views.disconnect_dataset, "disconnect_dataset"),
    route("project/{project_id}/prediction", views.prediction, "prediction"),
    route("dataset", views.datasets, "datasets"),
    route("dataset/{dataset_id}", views.dataset, "dataset"),
    route("media/{dataset_id}/url", views.media_urls, "media_urls"),
    route("media/{dataset_id}/file", views.media_file_upload, "media_file"),
    route("media/{media_id}", views.media, "media"),
    route("config/{config_id}", views.configuration, "configuration"),
    route("export/bitmap/{task_id}/{entry_key}", views.bitmap, "bitmap"),
    route("export/{project_id}", views.export, "export"),
    re_path(r"^(?:/)?api/v1(?:/.*)?$", errors.not_found_view, name="not_found"),
]
