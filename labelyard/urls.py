"""Top-level URLs: pages of each app, authentication, the admin and the API schema."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from labelyard import api_errors, login_throttle

urlpatterns = [
    # Both sign-in forms are rate limited; these routes shadow the ones of the includes below.
    path("admin/login/", login_throttle.throttled(admin.site.login)),
    path("accounts/login/", login_throttle.throttled(auth_views.LoginView.as_view()), name="login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves the page's script as a file, which the Content-Security-Policy allows.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"),
        name="api-docs",
    ),
    path("", include("labeling.urls")),
    path("", include("exports.urls")),
    path("", include("labeling.project_urls")),
    path("", include("datagym_v1.urls")),
    path("api/", include("api.urls")),
    # Last: unknown /api/ paths get a JSON 404 instead of an HTML page or an APPEND_SLASH redirect.
    re_path(r"^api(?:/.*)?$", api_errors.not_found_view, name="api-not-found"),
]

# Error pages: JSON under /api/ (ErrorTO under /api/v1/), Django's HTML pages elsewhere.
handler400 = api_errors.bad_request
handler403 = api_errors.permission_denied
handler404 = api_errors.page_not_found
handler500 = api_errors.server_error
