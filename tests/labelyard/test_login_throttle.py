"""Password guessing at the two sign-in forms (labelyard/login_throttle.py): a user name is locked after
its failures, a browser that signed in before is not held by that lock, an address that fails a lot
waits a little longer each time but never shuts out colleagues behind it, and the client address
comes from a trusted proxy header only. The clock is moved with time-machine, not by clearing the
cache."""

import base64
import os
import subprocess
import sys
import time
import uuid

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client

from labelyard import login_throttle
from labelyard.client_address import client_address
from tests.conftest import ROOT, database_url, unavailable

pytestmark = pytest.mark.django_db

LIMIT, ADDRESS_LIMIT, WINDOW, MAX_DELAY = 3, 10, 600, 8


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LABELYARD_LOGIN_FAILURE_LIMIT = LIMIT
    settings.LABELYARD_LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.LABELYARD_LOGIN_ADDRESS_MAX_DELAY_SECONDS = MAX_DELAY
    settings.LABELYARD_LOGIN_WINDOW_SECONDS = WINDOW
    # Dozens of sign-ins per test: a fast hasher instead of PBKDF2's second of work per password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The local-memory cache of the test settings; a test that switches to Redis never clears that.
    local = caches["default"]
    local.clear()
    yield
    local.clear()


@pytest.fixture
def clock():
    """Time stands still until the test moves it with clock.shift(seconds)."""
    with time_machine.travel(time.time(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="right-horse-battery")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bobs-long-password")


def attempt(client, username, password, address="10.0.0.1", path="/accounts/login/", **headers):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(response):
    return response.status_code == 302


def spray(client, count, clock, address="10.0.0.1", forwarded=None):
    """`count` failed sign-ins with made-up user names, waiting out the address's delay when told to."""
    failures = 0
    while failures < count:
        headers = {"HTTP_X_FORWARDED_FOR": forwarded()} if forwarded else {}
        response = attempt(client, f"nobody-{uuid.uuid4().hex[:8]}", "guess", address=address, **headers)
        if response.status_code == 429:
            clock.shift(int(response["Retry-After"]))
        else:
            assert response.status_code == 200, response.content
            failures += 1


def sign_out(client):
    """Log out the way the page does: the session ends, the browser keeps its other cookies."""
    assert client.post("/accounts/logout/").status_code == 302
    assert login_throttle.BROWSER_COOKIE in client.cookies


class TestUserNameLock:
    def test_locked_after_the_limit_even_with_the_right_password(self, client, alice, clock):
        for _ in range(LIMIT):
            assert attempt(client, "alice", "wrong").status_code == 200
        response = attempt(client, "alice", "right-horse-battery")
        assert response.status_code == 429 and response["Retry-After"] == "600"
        assert b"Too many failed sign-ins for this user name" in response.content and b"10 minutes" in response.content
        assert "_auth_user_id" not in client.session

    def test_the_lock_holds_on_every_address(self, client, alice, clock):
        """Guessing from many addresses gets no more tries at one user name."""
        for number in range(LIMIT):
            attempt(client, "alice", "wrong", address=f"10.0.0.{number + 1}")
        assert attempt(client, "alice", "right-horse-battery", address="192.0.2.50").status_code == 429

    def test_the_lock_holds_no_other_user(self, client, alice, bob, clock):
        for _ in range(LIMIT):
            attempt(client, "alice", "wrong")
        assert signed_in(attempt(client, "bob", "bobs-long-password"))

    def test_user_name_case_and_spaces_do_not_escape_the_count(self, client, alice, clock):
        for name in ("alice", "ALICE", " Alice "):
            attempt(client, name, "wrong")
        assert attempt(client, "alice", "right-horse-battery").status_code == 429

    def test_success_clears_the_count(self, client, alice, clock):
        for _ in range(LIMIT - 1):
            attempt(client, "alice", "wrong")
        assert signed_in(attempt(client, "alice", "right-horse-battery"))
        client.logout()
        for _ in range(LIMIT - 1):
            assert attempt(client, "alice", "wrong").status_code == 200
        assert signed_in(attempt(client, "alice", "right-horse-battery"))

    def test_the_window_passes(self, client, alice, clock):
        for _ in range(LIMIT):
            attempt(client, "alice", "wrong")
        clock.shift(WINDOW - 1)
        assert attempt(client, "alice", "right-horse-battery").status_code == 429
        clock.shift(2)
        assert signed_in(attempt(client, "alice", "right-horse-battery"))

    def test_many_other_failures_do_not_evict_a_lock(self, client, alice, clock):
        """Failures from hundreds of addresses make hundreds of cache entries; the local-memory cache
        holds them all instead of dropping entries, the lock among them."""
        for _ in range(LIMIT):
            attempt(client, "alice", "wrong")
        for number in range(400):
            attempt(client, f"nobody-{number}", "guess", address=f"10.1.{number // 250}.{number % 250}")
        assert attempt(client, "alice", "right-horse-battery").status_code == 429

    def test_admin_login_is_limited_too(self, client, django_user_model, clock):
        django_user_model.objects.create_superuser("root", password="root-long-password")
        for _ in range(LIMIT):
            assert attempt(client, "root", "wrong", path="/admin/login/").status_code == 200
        assert attempt(client, "root", "root-long-password", path="/admin/login/").status_code == 429


class TestKnownBrowser:
    def test_a_browser_that_signed_in_before_is_not_locked_out(self, client, alice, clock):
        """An attacker locking alice's user name does not keep her out of her own browser."""
        assert signed_in(attempt(client, "alice", "right-horse-battery"))
        sign_out(client)
        attacker = Client()
        for _ in range(LIMIT):
            attempt(attacker, "alice", "wrong", address="203.0.113.9")
        assert attempt(attacker, "alice", "right-horse-battery", address="203.0.113.9").status_code == 429
        assert signed_in(attempt(client, "alice", "right-horse-battery", address="198.51.100.4"))

    def test_the_browsers_own_failures_are_limited(self, client, alice, clock):
        assert signed_in(attempt(client, "alice", "right-horse-battery"))
        sign_out(client)
        for _ in range(LIMIT):
            assert attempt(client, "alice", "wrong").status_code == 200
        response = attempt(client, "alice", "right-horse-battery")
        assert response.status_code == 429 and b"from this browser" in response.content

    def test_the_cookie_counts_only_for_the_user_it_names(self, client, alice, bob, clock):
        assert signed_in(attempt(client, "alice", "right-horse-battery"))
        sign_out(client)
        for _ in range(LIMIT):
            attempt(Client(), "bob", "wrong", address="203.0.113.9")
        response = attempt(client, "bob", "bobs-long-password")
        assert response.status_code == 429 and b"for this user name" in response.content

    def test_a_forged_cookie_is_ignored(self, client, alice, clock):
        for _ in range(LIMIT):
            attempt(client, "alice", "wrong")
        client.cookies[login_throttle.BROWSER_COOKIE] = '{"u": "alice", "b": "x"}'
        assert attempt(client, "alice", "right-horse-battery").status_code == 429


class TestAddressSlowDown:
    def test_made_up_names_do_not_lock_out_people_behind_the_address(self, alice, bob, clock):
        """50 failures with made-up user names from an office's address: alice in her browser and bob
        in a new one (he signed in from this address before) still sign in at once."""
        alices_browser = Client()
        assert signed_in(attempt(alices_browser, "alice", "right-horse-battery"))
        sign_out(alices_browser)
        assert signed_in(attempt(Client(), "bob", "bobs-long-password"))
        spray(Client(), 50, clock)
        assert signed_in(attempt(alices_browser, "alice", "right-horse-battery"))
        assert signed_in(attempt(Client(), "bob", "bobs-long-password"))

    def test_failures_past_the_limit_make_the_address_wait_longer_each_time(self, client, bob, clock):
        """Past the limit each failure doubles the wait (1, 2, 4 s ...) up to the maximum; a new user
        behind the same address waits that long at most, then signs in."""
        spray(client, ADDRESS_LIMIT, clock)
        waits = []
        for _ in range(5):
            refused = attempt(client, "someone", "guess")
            assert refused.status_code == 429 and b"from your network" in refused.content
            waits.append(int(refused["Retry-After"]))
            clock.shift(waits[-1])
            spray(client, 1, clock)
        assert waits == [1, 2, 4, 8, 8]
        assert attempt(Client(), "bob", "bobs-long-password").status_code == 429
        clock.shift(MAX_DELAY)
        assert signed_in(attempt(Client(), "bob", "bobs-long-password"))

    def test_other_addresses_do_not_wait(self, client, bob, clock):
        spray(client, ADDRESS_LIMIT, clock)
        assert signed_in(attempt(Client(), "bob", "bobs-long-password", address="10.0.0.2"))

    def test_ipv6_neighbours_share_one_count(self, client, bob, clock):
        """A host holds a whole /64: new addresses in it are the same client."""
        for number in range(ADDRESS_LIMIT):
            spray(client, 1, clock, address=f"2001:db8:1:2::{number + 1:x}")
        assert attempt(Client(), "bob", "bobs-long-password", address="2001:db8:1:2::ffff").status_code == 429
        assert signed_in(attempt(Client(), "bob", "bobs-long-password", address="2001:db8:1:3::1"))


class TestNoOtherDoor:
    def test_the_apis_take_no_password(self, client, alice):
        """The REST API and the DataGym v1 API take only API tokens (256 random bits each, nothing to
        guess), so the two throttled forms are the only places a password is checked."""
        basic = "Basic " + base64.b64encode(b"alice:right-horse-battery").decode()
        for path in ("/api/projects", "/api/v1/project", "/api/v1/project?username=alice&password=right-horse-battery"):
            assert client.get(path, HTTP_AUTHORIZATION=basic).status_code == 401, path


def forged():
    return f"192.0.2.{uuid.uuid4().int % 250}"


class TestClientAddress:
    def test_x_forwarded_for_is_ignored_by_default(self, bob, clock):
        """Without a trusted proxy, a client writing a new X-Forwarded-For each time gains nothing."""
        spray(Client(), ADDRESS_LIMIT, clock, forwarded=forged)
        refused = attempt(Client(), "bob", "bobs-long-password", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert refused.status_code == 429

    def test_behind_a_trusted_proxy_clients_are_told_apart(self, settings, bob, clock):
        """Everyone arrives from the proxy's address; the address the proxy appended is the client."""
        settings.LABELYARD_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
        settings.LABELYARD_TRUSTED_PROXY_COUNT = 1
        # The sprayer forges a different first entry each time; the proxy appends its real address.
        spray(Client(), ADDRESS_LIMIT, clock, forwarded=lambda: f"{forged()}, 203.0.113.66")
        assert attempt(Client(), "x", "y", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.66").status_code == 429
        colleague = attempt(Client(), "bob", "bobs-long-password", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert signed_in(colleague)

    def test_two_proxies(self, settings, rf):
        settings.LABELYARD_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
        settings.LABELYARD_TRUSTED_PROXY_COUNT = 2

        def address(forwarded, remote="10.0.0.1"):
            return client_address(rf.post("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded))

        # forged, client (added by the outer proxy), outer proxy (added by the inner proxy)
        assert address("6.6.6.6, 198.51.100.7, 10.1.1.1") == "198.51.100.7"
        assert address("198.51.100.7:51234, 10.1.1.1") == "198.51.100.7"
        assert address("[2001:db8::7]:443, 10.1.1.1") == "2001:db8::7"
        # Too few entries or nonsense: the header cannot be trusted; the proxy's own address counts.
        assert address("10.1.1.1") == "10.0.0.1"
        assert address("unknown, 10.1.1.1") == "10.0.0.1"


def redis_url():
    broker = os.environ.get("CELERY_BROKER_URL", "")
    return broker if broker.startswith("redis://") else "redis://127.0.0.1:6379/0"


class TestSharedCache:
    def test_a_lock_made_in_one_process_holds_in_another(self, settings, client):
        """With LABELYARD_CACHE_URL set to Redis, a user name locked here is locked for a second
        process too (one of several web workers)."""
        url = redis_url()
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
        try:
            caches["default"].get("probe")
        except Exception as error:  # noqa: BLE001 - any connection failure means no Redis here
            unavailable(f"Redis at {url} is unreachable ({error})")
        # Names and addresses of their own: the Redis database outlives the test and is not cleared.
        name = f"shared-{uuid.uuid4().hex[:12]}"
        here, there = (f"10.{n}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}" for n in (1, 2))
        for _ in range(LIMIT):
            assert attempt(client, name, "wrong", address=here).status_code == 200
        # The second process signs in through the page, from another address, on this test database.
        script = (
            "import django; django.setup()\n"
            "from django.test import Client\n"
            f"answer = Client().post('/accounts/login/', {{'username': {name!r}, 'password': 'wrong'}},"
            f" REMOTE_ADDR={there!r})\n"
            "print(answer.status_code)\n"
        )
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "labelyard.settings",
            "LABELYARD_CACHE_URL": url,
            "DATABASE_URL": database_url(),
            "DJANGO_ALLOWED_HOSTS": "testserver",
        }
        other = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
        )
        assert other.returncode == 0, other.stderr
        assert other.stdout.split() == ["429"], other.stdout + other.stderr
