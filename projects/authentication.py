"""Authentication by API token, ``Authorization: Token <key>`` (projects/tokens.py holds the keys): for
DRF, and for the file downloads that the API's answers point at."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from projects import tokens


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``; any other scheme is left to the next authenticator.

    Unlike rest_framework.authtoken, keys are stored hashed, named and revocable per user.
    """

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give exactly one key after `Token`."))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from error
        try:
            user = tokens.user_for_key(key)
        except tokens.TokenRejected as error:
            raise exceptions.AuthenticationFailed(str(error)) from error
        return user, user.api_token

    def authenticate_header(self, request):
        # Present so DRF answers unauthenticated requests with 401 rather than 403.
        return self.keyword


def login_or_token_required(view):
    """login_required for downloads that scripts fetch too (export files, masks, release files).

    The API answers with their URLs, so a request with a token is authenticated as the API would
    (a bad token is a 401 that says why); without one, the browser goes to the login page.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            try:
                authenticated = TokenAuthentication().authenticate(request)
            except exceptions.AuthenticationFailed as error:
                return HttpResponse(
                    str(error.detail),
                    status=401,
                    content_type="text/plain; charset=utf-8",
                    headers={"WWW-Authenticate": "Token"},
                )
            if authenticated is not None:
                request.user = authenticated[0]
        return login_required(view)(request, *args, **kwargs)

    return wrapped


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the token header in the OpenAPI schema."""

    target_class = "projects.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; create keys on the API tokens page or with `manage.py create_api_token`.",
        }
