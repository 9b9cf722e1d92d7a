"""DataGym's ErrorTO, the only error body the DataGym client can read (docs/api.md "Errors of the v1 API").

labelyard/api_errors.py answers the framework's own errors under /api/v1/ with it too.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

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
    # Some servers pass the client's "<base_url>//api/v1/..." through with both slashes (docs/api.md).
    return request.path_info.lstrip("/").startswith("api/v1/")


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


def not_found(path):
    """The ErrorTO 404 for an unknown path or object under /api/v1/."""
    return error_to(404, V1_KEYS[404], ["handler", "url", path], f"No route or object for {path}.")


@csrf_exempt
def not_found_view(request, *args, **kwargs):
    """Catch-all route under /api/v1/: unknown paths answer an ErrorTO 404 for every method.

    A route (not only handler404) so that CommonMiddleware's APPEND_SLASH never redirects a POST,
    which the client would re-send as a bodiless GET (docs/api.md).
    """
    return not_found(request.path)
