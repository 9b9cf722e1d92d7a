"""Sign-in throttling: slows password guessing without letting one client lock other people out.

Three rules, with limits from settings (LABELYARD_LOGIN_*, README "Configuration by environment"):

- Per user name: LABELYARD_LOGIN_FAILURE_LIMIT failed sign-ins within the window lock that user name
  for the window, whichever address they came from, so guessing one person's password is slow
  however many addresses an attacker has.
- Per browser: a successful sign-in leaves a signed cookie naming the user. A browser that shows it
  for the user name it signs in as is not held by that name's lock (an attacker cannot lock a person
  out of the browsers they use); its own failures are counted and locked instead.
- Per client address (labelyard/client_address.py): past LABELYARD_LOGIN_ADDRESS_FAILURE_LIMIT
  failures within the window, each further failure makes the address wait 1, 2, 4 ... seconds, up
  to LABELYARD_LOGIN_ADDRESS_MAX_DELAY_SECONDS, which slows trying many user names. It is a delay,
  not a wall, and it does not apply to user names that have signed in from that address before or
  to browsers with the cookie above, so colleagues behind the same proxy or NAT keep signing in.

Counts live in Django's cache (LABELYARD_CACHE_URL: per process in local memory, shared with Redis).
Lock and wait ends are times stored in the cache and compared with time.time(), so they pass when
the clock says so whatever the cache's own expiry.
"""

import dataclasses
import functools
import hashlib
import math
import secrets
import time

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.cache import cache
from django.shortcuts import render

from labelyard.client_address import address_group, client_address

KEY_PREFIX = "labelyard:login:"
BROWSER_COOKIE = "labelyard_signin"
BROWSER_SALT = "labelyard.login-throttle.browser"
BROWSER_COOKIE_SECONDS = 180 * 24 * 3600
# How long a user name counts as known at an address after signing in from it.
KNOWN_SECONDS = 30 * 24 * 3600
# 2 ** 20 seconds is far past any sensible maximum delay; the cap keeps the power small.
MAX_DOUBLINGS = 20


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One sign-in: the user name as counted, the client's address group, the browser id if the
    browser's cookie names this user name."""

    username: str
    address: str
    browser: str | None


@dataclasses.dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int


def _key(*parts):
    # Hashed, so any user name (spaces, non-ASCII, 150 characters) makes a valid cache key.
    return KEY_PREFIX + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def normalise(username):
    # Counted without case or surrounding spaces, so "Alice " and "ALICE" share alice's count.
    return username.strip().casefold()


def browser_id(request, username):
    """The id in the request's sign-in cookie if it is valid and names `username`, else None."""
    cookie = request.COOKIES.get(BROWSER_COOKIE, "")
    try:
        value = signing.loads(cookie, salt=BROWSER_SALT, max_age=BROWSER_COOKIE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("u") != username or not isinstance(value.get("b"), str):
        return None
    return value["b"]


def attempt_for(request):
    username = normalise(request.POST.get("username", ""))
    return Attempt(username, address_group(client_address(request)), browser_id(request, username))


def _until(key):
    return cache.get(key) or 0


def _minutes(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def refusal(attempt):
    """A Refusal if this attempt may not be checked now, else None."""
    now = time.time()
    if attempt.browser is not None:
        until = _until(_key("browser-lock", attempt.browser))
        if until > now:
            wait = until - now
            return Refusal(f"Too many failed sign-ins from this browser. Wait {_minutes(wait)} and try again.", wait)
        return None
    until = _until(_key("user-lock", attempt.username))
    if until > now:
        wait = until - now
        return Refusal(
            f"Too many failed sign-ins for this user name. Wait {_minutes(wait)} and try again, "
            f"or sign in from a browser that has signed in as this user before.",
            wait,
        )
    until = _until(_key("address-wait", attempt.address))
    if until > now and not cache.get(_key("known", attempt.address, attempt.username)):
        seconds = math.ceil(until - now)
        return Refusal(
            f"Too many failed sign-ins from your network. Wait {seconds} second{'s' if seconds != 1 else ''} "
            f"and try again.",
            seconds,
        )
    return None


def _count(key, window):
    # add() starts the window on the first failure; incr() keeps the key's expiry.
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        return 1


def record_failure(attempt):
    now = time.time()
    window = settings.LABELYARD_LOGIN_WINDOW_SECONDS
    limit = settings.LABELYARD_LOGIN_FAILURE_LIMIT
    if attempt.browser is not None:
        if _count(_key("browser", attempt.browser), window) >= limit:
            cache.set(_key("browser-lock", attempt.browser), now + window, window)
        return
    if _count(_key("user", attempt.username), window) >= limit:
        cache.set(_key("user-lock", attempt.username), now + window, window)
    excess = _count(_key("address", attempt.address), window) - settings.LABELYARD_LOGIN_ADDRESS_FAILURE_LIMIT
    if excess >= 0:
        wait = min(2 ** min(excess, MAX_DOUBLINGS), settings.LABELYARD_LOGIN_ADDRESS_MAX_DELAY_SECONDS)
        cache.set(_key("address-wait", attempt.address), now + wait, wait + 1)


def record_success(attempt, response):
    """Forget the failures the sign-in ends, remember the user name at its address, mark the browser."""
    cache.delete(_key("user", attempt.username))
    if attempt.browser is not None:
        cache.delete(_key("browser", attempt.browser))
    cache.set(_key("known", attempt.address, attempt.username), 1, KNOWN_SECONDS)
    value = signing.dumps({"u": attempt.username, "b": secrets.token_hex(16)}, salt=BROWSER_SALT)
    response.set_cookie(
        BROWSER_COOKIE,
        value,
        max_age=BROWSER_COOKIE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def throttled(view):
    """Wrap a login view: a POST the rules above refuse gets the login page with 429 and Retry-After.

    The wrapped view's own answer tells the outcome: a redirect is a successful sign-in, anything
    else a failed one. Works for Django's LoginView and the admin's login alike.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        attempt = attempt_for(request)
        refused = refusal(attempt)
        if refused is not None:
            context = {
                "form": AuthenticationForm(request, initial={"username": request.POST.get("username", "")}),
                "throttled": refused.message,
                "next": request.POST.get("next", ""),
            }
            response = render(request, "registration/login.html", context, status=429)
            response["Retry-After"] = str(math.ceil(refused.retry_after))
            return response
        response = view(request, *args, **kwargs)
        if response.status_code in (301, 302, 303):
            record_success(attempt, response)
        else:
            record_failure(attempt)
        return response

    return wrapper
