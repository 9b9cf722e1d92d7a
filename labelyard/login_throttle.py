"""Login rate limiting: too many failed sign-ins stop further tries for a while, with a clear message.

Failures are counted in Django's cache per (user name, client address), so one person mistyping a
password cannot lock out a colleague elsewhere, and per client address, so one machine cannot try
every user name instead. A successful sign-in clears its (user name, address) count. The limits
are settings (LABELYARD_LOGIN_*, docs/reliability.md); the counts live as long as the window, in the
configured cache (per process with the default local-memory cache, shared with a Redis cache).
"""

import functools
import hashlib

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.shortcuts import render

KEY_PREFIX = "labelyard:login-failures:"


def _key(*parts):
    # Hashed, so any user name (spaces, non-ASCII, 150 characters) makes a valid cache key.
    return KEY_PREFIX + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _keys(request):
    username = request.POST.get("username", "").strip().lower()
    address = request.META.get("REMOTE_ADDR", "")
    return {
        "pair": (_key("pair", username, address), settings.LABELYARD_LOGIN_FAILURE_LIMIT),
        "address": (_key("address", address), settings.LABELYARD_LOGIN_ADDRESS_FAILURE_LIMIT),
    }


def _blocked(keys):
    return any((cache.get(key) or 0) >= limit for key, limit in keys.values())


def _record_failure(keys):
    window = settings.LABELYARD_LOGIN_WINDOW_SECONDS
    for key, _ in keys.values():
        # add() starts the window on the first failure; incr() keeps the key's expiry.
        if not cache.add(key, 1, window):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, window)


def throttled(view):
    """Wrap a login view: refuse a POST with 429 while its user name or address is over the limit.

    The wrapped view's own answer tells the outcome: a redirect is a successful sign-in, anything
    else a failed one. Works for Django's LoginView and the admin's login alike.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        keys = _keys(request)
        if _blocked(keys):
            minutes = max(1, round(settings.LABELYARD_LOGIN_WINDOW_SECONDS / 60))
            message = (
                f"Too many failed sign-ins for this user name or from your address. "
                f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."
            )
            context = {"form": AuthenticationForm(request), "throttled": message, "next": request.POST.get("next", "")}
            return render(request, "registration/login.html", context, status=429)
        response = view(request, *args, **kwargs)
        if response.status_code in (301, 302, 303):
            cache.delete(keys["pair"][0])
        else:
            _record_failure(keys)
        return response

    return wrapper
