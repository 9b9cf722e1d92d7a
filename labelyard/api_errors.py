"""Error bodies of the APIs, so no request under /api/ ever gets an HTML error page.

The native API (/api/...) answers ``{"detail": str, "code": str, "errors": [{"path", "message"}]}``.
The DataGym v1 API (/api/v1/...) answers DataGym's ErrorTO (docs/datagym-v1.md section 4.1),
the only error shape its Python client can read. Django's own error pages (unknown routes,
CSRF failures, oversized bodies, crashes) are routed here by the handlers in labelyard/urls.py.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.shortcuts import render
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from api.errors import ApiError, error_list, is_api, native_error
from datagym_v1 import errors as v1_errors
from datagym_v1.errors import V1_KEYS, error_to, is_v1

logger = logging.getLogger("django.request")


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
        if status_code == 404:
            return v1_errors.not_found(request.path)
        return error_to(status_code, V1_KEYS.get(status_code, "ex_system"), [], message)
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
    POST, which clients would re-send as a bodiless GET (docs/datagym-v1.md section 7.3).
    """
    return page_not_found(request, Http404())
