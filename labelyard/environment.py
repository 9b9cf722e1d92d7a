"""Reading deployment settings from environment variables: numbers, HTTP header names and the
cache URL. labelyard/settings.py calls these; a bad value stops start-up with a message that
names the variable, rather than running with a half-understood setting."""

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# An HTTP field name (RFC 9110 token characters, as proxies send them).
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
REDIS_SCHEMES = {"redis", "rediss", "unix"}
LOCAL_ENTRIES = 50_000


def integer(name, default, minimum=0):
    text = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(text)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {text!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def meta_key(variable, header):
    """The request.META key Django files an HTTP header under: X-Forwarded-For -> HTTP_X_FORWARDED_FOR."""
    header = header.strip()
    if not HEADER_NAME.match(header):
        raise ImproperlyConfigured(f"{variable} must be an HTTP header name such as X-Forwarded-For; got {header!r}.")
    return "HTTP_" + header.upper().replace("-", "_")


def header(variable):
    """The request.META key of the header named by `variable`; None if unset."""
    text = os.environ.get(variable, "").strip()
    return meta_key(variable, text) if text else None


def proxy_ssl_header(variable):
    """SECURE_PROXY_SSL_HEADER from ``Name`` or ``Name: value`` (the value defaults to https); None if unset."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    name, _, value = text.partition(":")
    value = value.strip() or "https"
    return (meta_key(variable, name), value)


def cache(variable):
    """The default CACHES entry: local memory without a URL, Django's Redis cache with a redis:// one."""
    url = os.environ.get(variable, "").strip()
    scheme = urlsplit(url).scheme if url else "locmem"
    if scheme == "locmem":
        # Django's default of 300 entries would let a client evict login locks by making entries.
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": LOCAL_ENTRIES}}
    if scheme in REDIS_SCHEMES:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(
        f"{variable} must be a redis://, rediss:// or unix:// URL, or locmem:// for this process's memory; got {url!r}."
    )
