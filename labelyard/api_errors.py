"""Error bodies of the APIs, so no request under /api/ ever gets an HTML error page.

The native API (/api/...) answers ``{"detail": str, "code": str, "errors": [{"path", "message"}]}``
(plus ``version`` on a stale save: ERROR_SCHEMA). Views raise DRF exceptions or ApiError and never
build error bodies themselves; declare_error_responses puts the shape into the OpenAPI schema.
The DataGym v1 API (/api/v1/...) answers DataGym's ErrorTO (spec datagym-api.md section 4.1),
the only error shape its Python client can read. Django's own error pages (unknown routes,
CSRF failures, oversized bodies, crashes) are routed here by the handlers in labelyard/urls.py.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("django.request")

# ErrorTO keys by HTTP status, for errors the framework raises before a v1 view runs.
V1_KEYS = {
    400: "ex_validation",
    401: "ex_unauthorized",
    403: "ex_forbidden",
    404: "ex_notfound",
    405: "ex_validation",
    413: "ex_size",
    415: "ex_validation",
    500: "ex_system",
}


def is_v1(request):
    # A leading "//" reaches Django from some servers (spec datagym-api.md section 7.1).
    return request.path_info.lstrip("/").startswith("api/v1/")


def is_api(request):
    return request.path_info.lstrip("/").startswith("api/")


def error_to(status_code, key, params=(), msg=None, details=(), headers=None):
    """An ErrorTO response; `params` is always a list, as the client formats messages with it."""
    body = {
        "key": key,
        "params": [str(p) for p in params],
        "msg": msg,
        "code": status_code,
        "details": list(details),
    }
    return JsonResponse(body, status=status_code, safe=False, headers=headers)


# The one error body of the native API, as the OpenAPI schema declares it for every operation.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in a sentence."},
        "code": {"type": "string", "description": "A stable word for programs: invalid, not_found, ..."},
        "errors": {
            "type": "array",
            "description": "Every problem of the request, with the path of the field it concerns.",
            "items": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                "required": ["path", "message"],
                "additionalProperties": False,
            },
        },
        "version": {
            "type": "integer",
            "description": "Only with code `stale_version`: the labels' current version.",
        },
    },
    "required": ["detail", "code", "errors"],
    "additionalProperties": False,
}
# The error statuses any operation of the native API can answer.
ERROR_STATUSES = {
    400: "The request is not valid; `errors` lists every problem.",
    401: "No credentials: a session or `Authorization: Token <key>`.",
    403: "The user's role does not allow this, or a session write without a CSRF token.",
    404: "No such object, or not one the user can see.",
    409: "The object changed meanwhile, or the change needs confirmation.",
    413: "The request body is too large.",
}
# Only operations that read a body can answer this one.
BODY_ERROR_STATUSES = {415: "The request body's content type is not one this operation reads, or is malformed."}


class ApiError(exceptions.APIException):
    """An error of the native API with its status, code and `errors`; `extra` keys (declared in
    ERROR_SCHEMA) go alongside them."""

    def __init__(self, status_code, detail, code, errors=(), **extra):
        super().__init__(detail, code)
        self.status_code = status_code
        self.errors = list(errors)
        self.extra = extra


def native_error(status_code, detail, code, errors=(), headers=None, **extra):
    body = {**extra, "detail": str(detail), "code": code, "errors": list(errors)}
    return JsonResponse(body, status=status_code, headers=headers)


def error_list(errors, prefix=""):
    """Flatten DRF's nested error structure into [{path, message}]."""
    flat = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            flat.extend(error_list(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list):
        for item in errors:
            flat.extend(error_list(item, prefix))
    else:
        flat.append({"path": prefix, "message": str(errors)})
    return flat


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error in the native shape, unexpected ones as a logged 500."""
    if isinstance(exc, RequestDataTooBig):
        # Raised when a view first reads a body above DATA_UPLOAD_MAX_MEMORY_SIZE.
        message = f"The request body is too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        request = context.get("request")
        if request is not None and is_v1(request):
            return error_to(413, V1_KEYS[413], (), message)
        return native_error(413, message, "too_large")
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.error("Internal Server Error: %s", getattr(request, "path", "?"), exc_info=exc)
        return native_error(500, "The server failed to handle this request.", "server_error")
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, ApiError):
        return native_error(exc.status_code, exc.detail, exc.get_codes(), exc.errors, headers, **exc.extra)
    if isinstance(exc, exceptions.ValidationError):
        return native_error(
            response.status_code, "The request is not valid.", "invalid", error_list(exc.detail), headers
        )
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        detail = exc.detail
    else:
        code = "not_found" if isinstance(exc, Http404) else "permission_denied"
        detail = response.data.get("detail", "")
    return native_error(response.status_code, detail, code if isinstance(code, str) else "error", headers=headers)


def _page(request, status_code, message, fallback):
    if is_v1(request):
        params = ["handler", "url", request.path] if status_code == 404 else []
        return error_to(status_code, V1_KEYS.get(status_code, "ex_system"), params, message)
    if is_api(request):
        return native_error(
            status_code, message, {404: "not_found", 403: "permission_denied"}.get(status_code, "error")
        )
    return fallback()


def bad_request(request, exception):
    if isinstance(exception, RequestDataTooBig):
        return _page(request, 413, "The request body is too large.", lambda: defaults.bad_request(request, exception))
    return _page(request, 400, "The request is not valid.", lambda: defaults.bad_request(request, exception))


def permission_denied(request, exception):
    message = str(exception) if isinstance(exception, PermissionDenied) and str(exception) else "Permission denied."
    return _page(request, 403, message, lambda: _error_page(request, 403, "Not allowed", message))


def page_not_found(request, exception):
    # The views' own Http404 sentences say why ("This export has no zip file."); the resolver's
    # 404s carry route internals, so an unknown page says no more than that.
    reason = exception.args[0] if isinstance(exception, Http404) and exception.args else ""
    return _page(
        request,
        404,
        f"No route or object for {request.path}.",
        lambda: _error_page(request, 404, "Not found", reason if isinstance(reason, str) else ""),
    )


def _error_page(request, status_code, title, message):
    return render(request, "error.html", {"title": title, "message": message}, status=status_code)


def server_error(request):
    return _page(request, 500, "The server failed to handle this request.", lambda: defaults.server_error(request))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: session-authenticated API writes without a CSRF token get JSON too."""
    if is_api(request):
        return _page(request, 403, f"CSRF check failed: {reason}", None)
    return django_csrf_failure(request, reason)


@csrf_exempt
def not_found_view(request, *args, **kwargs):
    """Catch-all route under /api/: unknown paths answer 404 in the API's shape, for every method.

    A route (not only handler404) so that CommonMiddleware's APPEND_SLASH never redirects an API
    POST, which clients would re-send as a bodiless GET (spec datagym-api.md section 7.3).
    """
    return page_not_found(request, Http404())


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def declare_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation under /api/ (not the DataGym v1 API,
    which is outside the schema) declares ERROR_STATUSES, and BODY_ERROR_STATUSES where it reads a
    body, with the shared `Error` body."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/") or path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            statuses = {**ERROR_STATUSES, **(BODY_ERROR_STATUSES if "requestBody" in operation else {})}
            for status_code, description in statuses.items():
                responses[str(status_code)] = {"content": reference, "description": description}
    return result
