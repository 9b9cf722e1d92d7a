"""DRF authentication by API token: ``Authorization: Token <key>`` (projects/tokens.py holds the keys)."""

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
