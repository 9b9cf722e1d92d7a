"""The Content-Security-Policy header on every response (Django 5.2 has none built in).

The built-in policy lets pages run only scripts and style sheets served by the site itself: no
inline scripts, event-handler attributes or eval, so markup an attacker slips into a page cannot
run. Page scripts are files under static/; element style attributes stay allowed (colour swatches,
the workspace's panels). LABELYARD_CONTENT_SECURITY_POLICY replaces the policy for a deployment that
needs more, e.g. another origin for images.
"""

from django.conf import settings

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        # data: for icons inside style sheets (Swagger UI), blob: for images the workspace makes.
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def policy():
    return settings.LABELYARD_CONTENT_SECURITY_POLICY or POLICY


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Django's debug error pages (DJANGO_DEBUG=1 only) are inline styles and scripts.
        if settings.DEBUG and response.status_code >= 400:
            return response
        response.headers.setdefault("Content-Security-Policy", policy())
        return response
