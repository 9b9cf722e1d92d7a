"""The native API's error body, ``{"detail": str, "code": str, "errors": [{"path", "message"}]}``
(plus ``version`` on a stale save: ERROR_SCHEMA).

Views raise DRF exceptions or ApiError and never build error bodies themselves;
labelyard/api_errors.py routes every error under /api/ here, and declare_error_responses puts the
shape into the OpenAPI schema.
"""

from django.http import JsonResponse
from rest_framework import exceptions

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

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class ApiError(exceptions.APIException):
    """An error of the native API with its status, code and `errors`; `extra` keys (declared in
    ERROR_SCHEMA) go alongside them."""

    def __init__(self, status_code, detail, code, errors=(), **extra):
        super().__init__(detail, code)
        self.status_code = status_code
        self.errors = list(errors)
        self.extra = extra


def is_api(request):
    return request.path_info.lstrip("/").startswith("api/")


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
