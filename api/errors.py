"""The native API's error body, ``{"detail": str, "code": str, "errors": [{"path", "message"}]}``.

labelyard/api_errors.py routes every error under /api/ here; views that answer an error
themselves build it with the same functions.
"""

from django.http import JsonResponse


def is_api(request):
    return request.path_info.lstrip("/").startswith("api/")


def native_error(status_code, detail, code, errors=(), headers=None):
    body = {"detail": str(detail), "code": code, "errors": list(errors)}
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
