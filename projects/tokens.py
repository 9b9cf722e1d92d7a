"""API tokens: create, look up and revoke the keys that authenticate API clients.

A key is shown once, at creation; the database keeps only its SHA-256 and a short prefix, so a
leaked database does not leak working keys. SHA-256 without salt is enough here because keys are
256 random bits, not passwords a person chose.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from projects.models import ApiToken

KEY_PREFIX = "ly_"
PREFIX_LENGTH = 10
# last_used_at is a hint for the token page; writing it at most once a minute keeps a busy client
# from turning every read request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRejected(ValueError):
    """The key is unknown, revoked, or belongs to an inactive user."""


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user, name):
    """Create a token for `user`; returns (ApiToken, key). The key cannot be recovered later."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    name = (name or "").strip() or "API token"
    token = ApiToken.objects.create(user=user, name=name[:64], prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key))
    return token, key


def user_for_key(key):
    """The active user a key acts for; raises TokenRejected otherwise and records the use."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX):
        raise TokenRejected("Invalid token.")
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None or not token.is_active or not token.user.is_active:
        raise TokenRejected("Invalid or revoked token.")
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.user.api_token = token
    return token.user


def revoke(user, token_id):
    """Revoke one of `user`'s tokens; returns whether a live token was revoked. Idempotent."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )


def rename(user, token_id, name):
    """Rename one of `user`'s tokens; returns whether it exists."""
    name = (name or "").strip()[:64] or "API token"
    return bool(ApiToken.objects.filter(pk=token_id, user=user).update(name=name))
