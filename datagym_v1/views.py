"""HTTP side of the DataGym v1 API: authenticate, parse, call datagym_v1.operations, answer.

Plain Django views rather than DRF ones: the client needs ErrorTO bodies for every failure
(including wrong methods and bad tokens), raw-body uploads, HEAD on GET routes and no CSRF, and
none of DRF's negotiation. The `endpoint` decorator gives every view those rules once.
"""

import functools
import logging
import urllib.parse

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from datagym_v1 import errors, operations
from datagym_v1.operations import V1Error, detail
from formats import jsonio
from projects import tokens
from projects.media import MediaUnavailable, media_response

logger = logging.getLogger("django.request")


def authenticate(request):
    """The user a request acts for: ``?token=`` first, else ``Authorization: Token``.

    A Basic header (sent alongside the token by clients behind an authenticating proxy, docs/datagym-v1.md
    section 3) is ignored rather than refused.
    """
    key = request.GET.get("token")
    if not key:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        key = value.strip() if scheme.lower() == "token" else None
    if not key:
        raise V1Error(401, "ex_unauthorized", [], "An API token is required (?token=<key>).")
    try:
        return tokens.user_for_key(key)
    except tokens.TokenRejected as error:
        raise V1Error(403, "ex_forbidden", [], str(error)) from error


def endpoint(*methods):
    """Wrap a v1 view: method check (HEAD allowed with GET), token, ErrorTO for every failure."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def wrap(func):
        @csrf_exempt
        @functools.wraps(func)
        def view(request, **kwargs):
            try:
                if request.method not in allowed:
                    raise V1Error(
                        405,
                        "ex_validation",
                        [],
                        f"{request.method} is not allowed here; use {', '.join(sorted(allowed))}.",
                        [detail("method", "ex_val_invalid", ["method", request.method])],
                    )
                request.user = authenticate(request)
                return func(request, **kwargs)
            except V1Error as error:
                headers = {"Allow": ", ".join(sorted(allowed))} if error.status == 405 else None
                return errors.error_to(error.status, error.key, error.params, error.msg, error.details, headers)
            except Exception:
                logger.exception("Internal Server Error: %s", request.path)
                return errors.error_to(500, "ex_system", [], "The server failed to handle this request.")

        return view

    return wrap


def json_response(data):
    return HttpResponse(jsonio.dumps(data), content_type="application/json")


def empty_response():
    return HttpResponse(b"", content_type="application/json")


def content_length(request):
    value = request.META.get("CONTENT_LENGTH") or ""
    return int(value) if value.isdigit() else None


def read_json(request, empty=None):
    """The request body as JSON, read in chunks; `empty` when there is no body (docs/datagym-v1.md section 7)."""
    with operations.read_to_tempfile(request, content_length(request)) as handle:
        data = handle.read()
    if not data.strip():
        return empty
    try:
        return jsonio.loads(data)
    except jsonio.JSONDecodeError as error:
        raise operations.validation(
            [detail("body", "ex_val_invalid", ["body", str(error)])], f"The body is not JSON: {error}"
        ) from error


@endpoint("GET")
def projects(request):
    return json_response(operations.list_projects(request.user))


@endpoint("GET", "POST")
def datasets(request):
    if request.method == "POST":
        return json_response(operations.create_dataset(request.user, read_json(request)))
    return json_response(operations.list_datasets(request.user))


@endpoint("GET")
def dataset(request, dataset_id):
    return json_response(operations.get_dataset(request.user, dataset_id))


@endpoint("POST")
def connect_dataset(request, project_id, dataset_id):
    operations.connect(request.user, project_id, dataset_id)
    return empty_response()


@endpoint("DELETE")
def disconnect_dataset(request, project_id, dataset_id):
    operations.disconnect(request.user, project_id, dataset_id)
    return empty_response()


@endpoint("POST")
def media_urls(request, dataset_id):
    return json_response(operations.add_urls(request.user, dataset_id, read_json(request, empty=[])))


@endpoint("POST")
def media_file_upload(request, dataset_id):
    name = request.headers.get("X-filename", "").strip()
    return json_response(operations.upload_file(request.user, dataset_id, name, request, content_length(request)))


@endpoint("GET", "DELETE")
def media(request, media_id):
    if request.method == "DELETE":
        operations.delete_media(request.user, media_id)
        return empty_response()
    item = operations.media_for(request.user, media_id)
    download = request.GET.get("dl", "true").lower() != "false"
    try:
        return media_response(item, filename=item.original_name, as_attachment=download)
    except MediaUnavailable as error:
        raise operations.not_found("Media file", "id", media_id) from error


@endpoint("DELETE", "PUT")
def configuration(request, config_id):
    if request.method == "DELETE":
        return json_response(operations.clear_configuration(request.user, config_id))
    return json_response(operations.replace_configuration(request.user, config_id, read_json(request)))


@endpoint("GET")
def export(request, project_id):
    def bitmap_url(task_id, key):
        return request.build_absolute_uri(reverse("datagym_v1:bitmap", args=[task_id, key]))

    if request.method == "HEAD":
        operations.project_for(request.user, project_id)
        return HttpResponse(content_type="application/json")
    project, handle = operations.export_file(request.user, project_id, bitmap_url)
    filename = f"datagym_export_{operations.millis_now()}_{project.name}.json"
    response = FileResponse(handle, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{urllib.parse.quote_plus(filename)}"'
    return response


@endpoint("GET")
def bitmap(request, task_id, entry_key):
    return HttpResponse(operations.bitmap(request.user, task_id, entry_key.replace("+", " ")), content_type="image/bmp")


@endpoint("POST")
def prediction(request, project_id):
    return json_response(operations.import_predictions(request.user, project_id, request, content_length(request)))
