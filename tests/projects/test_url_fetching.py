"""Server-side request forgery through "add images by URL", tried through the dataset page with real
local servers: redirects to ftp and to loopback, proxies from the environment, a server that
sends one byte at a time, and error texts that could map ports. 127.0.0.2 stands for a public
host (tests/projects/url_servers.py); the address check itself is never replaced."""

import os
import re
import subprocess
import sys
import time

import pytest
from django.urls import reverse

from labeling.creation import create_project
from projects.models import Dataset, Media
from tests.conftest import ROOT
from tests.projects import url_servers
from tests.projects.url_servers import PUBLIC_ADDRESS, DroppingPort, Listener, WebServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def dataset(owner):
    project = create_project("Fetching", None, owner=owner)
    dataset = Dataset.objects.create(name="fetched", created_by=owner)
    project.datasets.add(dataset)
    return dataset


@pytest.fixture
def public(settings):
    """A web server standing for a public host, with private fetching off."""
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = False
    settings.LABELYARD_URL_FETCH_TEST_PUBLIC_ADDRESSES = frozenset({PUBLIC_ADDRESS})
    server = WebServer(PUBLIC_ADDRESS)
    yield server
    server.close()


@pytest.fixture
def internal():
    """A web server on loopback: what a fetch must not reach."""
    server = WebServer("127.0.0.1")
    yield server
    server.close()


@pytest.fixture
def ftp():
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture
def add_urls(client, owner, dataset, django_capture_on_commit_callbacks):
    """Post URLs on the dataset page as its owner, let the queued job run, return the page after."""
    client.force_login(owner)

    def post(*urls):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("projects:dataset_urls", args=[dataset.pk]), {"urls": "\n".join(urls)})
        return client.get(reverse("projects:dataset", args=[dataset.pk])).content.decode()

    return post


class TestRedirects:
    @pytest.mark.parametrize("allow_private", [False, True], ids=["public-only", "private-allowed"])
    def test_redirect_to_ftp_never_connects(self, settings, add_urls, public, ftp, allow_private):
        """Only http and https are followed, whatever the address policy: an ftp:// redirect to a
        loopback service is refused before any connection is made to it."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = allow_private
        page = add_urls(public.url(f"/redirect?to=ftp://127.0.0.1:{ftp.port}/secret.png"))
        assert ftp.connections == 0
        assert len(public.hits) == 1
        assert f"(redirected to ftp://127.0.0.1:{ftp.port}/secret.png): only http and https URLs are fetched." in page
        assert not Media.objects.exists()

    def test_redirect_to_loopback_is_refused(self, add_urls, public, internal):
        target = internal.url("/cat.png")
        page = add_urls(public.url(f"/redirect?to={target}"))
        assert internal.hits == []
        assert len(public.hits) == 1
        assert f"(redirected to {target}): 127.0.0.1 is not a public internet host" in page
        assert not Media.objects.exists()

    def test_redirect_between_public_addresses_is_followed(self, add_urls, public):
        url = public.url(f"/redirect?to={public.url('/cat.png')}")
        add_urls(url)
        media = Media.objects.get()
        assert (media.original_name, media.width, media.height) == ("redirect", 40, 30)
        assert public.hits[1] == "/cat.png"


PROXY_VARIABLES = ["http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]


@pytest.fixture
def proxy(monkeypatch):
    """A server named as the proxy in every proxy variable; it would answer like the real host."""
    server = WebServer("127.0.0.1")
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, f"http://127.0.0.1:{server.port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    yield server
    server.close()


class TestProxy:
    @pytest.mark.parametrize("allow_private", [False, True], ids=["public-only", "private-allowed"])
    def test_proxy_variables_are_ignored(self, settings, add_urls, public, proxy, allow_private):
        """The image comes straight from its host, whose address was checked; the proxy is never asked."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = allow_private
        add_urls(public.url("/street.png"))
        assert proxy.hits == []
        assert public.hits == ["/street.png"]
        assert Media.objects.get().original_name == "street.png"

    def test_redirect_is_checked_with_a_proxy_set(self, add_urls, public, internal, proxy):
        target = internal.url("/cat.png")
        page = add_urls(public.url(f"/redirect?to={target}"))
        assert internal.hits == [] and proxy.hits == []
        assert "127.0.0.1 is not a public internet host" in page
        assert not Media.objects.exists()


class TestDeadline:
    def test_slow_drip_is_cut_at_the_deadline(self, settings, add_urls, internal):
        """One deadline for the whole fetch: 20 bytes sent 0.5 s apart (10 s) stop after 2 s,
        though no single read waits longer than half a second. Private fetching is allowed here
        so the loopback server is reachable; the deadline does not depend on it."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
        settings.LABELYARD_URL_FETCH_TIMEOUT = 2
        url = internal.url("/drip.png?bytes=20&every=0.5")
        started = time.monotonic()
        page = add_urls(url)
        elapsed = time.monotonic() - started
        assert elapsed < 5, elapsed
        assert f"{url}: the fetch took longer than 2 seconds." in page.replace("&amp;", "&")
        assert not Media.objects.exists()


class TestErrorTexts:
    def test_closed_and_filtered_ports_read_the_same(self, settings, add_urls):
        """A refused connection and one that is silently dropped give the same sentence, so the
        errors cannot be used to map which ports exist behind a host."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
        settings.LABELYARD_URL_FETCH_TIMEOUT = 1
        dropping = DroppingPort()
        try:
            closed = f"http://127.0.0.1:{url_servers.closed_port()}/a.png"
            filtered = f"http://127.0.0.1:{dropping.port}/a.png"
            page = add_urls(closed, filtered)
        finally:
            dropping.close()
        texts = []
        for url in (closed, filtered):
            found = re.search(re.escape(url) + r"[^<]*", page)
            assert found, page
            texts.append(found.group(0).replace(url, "URL"))
        assert texts == ["URL: could not connect to 127.0.0.1."] * 2


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, "False"), ({"DJANGO_ALLOWED_HOSTS": "127.0.0.1"}, "False"),
     ({"DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,[::1]"}, "False"),
     ({"LABELYARD_URL_FETCH_ALLOW_PRIVATE": "1"}, "True")],
    ids=["unset", "behind-a-proxy-pass", "loopback-names", "set"],
)  # fmt: skip
def test_private_fetching_is_off_unless_set(environment, expected):
    """A site behind `proxy_pass http://127.0.0.1:8000` answers only on loopback host names; that
    says nothing about who may add URLs, so it must not turn private fetching on."""
    unset = {"LABELYARD_URL_FETCH_ALLOW_PRIVATE", "DJANGO_ALLOWED_HOSTS"}
    env = {name: value for name, value in os.environ.items() if name not in unset}
    code = "from django.conf import settings; print(settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "labelyard.settings", **environment},
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == expected
