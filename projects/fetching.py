"""Fetching a file from a URL a user gave ("add images by URL"): the one place Labelyard connects
to addresses chosen by its users, so the guard against server-side request forgery lives here.

Every hop of a fetch, the first request and each redirect, must be http or https and may reach
only public internet addresses: the host name is resolved here, every address it resolves to is
checked, and the connection goes to an address that passed, so neither a redirect nor a DNS answer
that changes between the check and the connection (rebinding) reaches loopback, private or
link-local networks (the cloud's metadata service at 169.254.169.254). No proxy is ever used
(http_proxy and the like are ignored): through a proxy the address really reached could not be
checked. One deadline covers the whole fetch, name lookups, connections, redirects and every read,
so a server that sends one byte at a time cannot hold a worker longer than the deadline.

Error texts say what went wrong without telling a closed port from a filtered one, or a name that
does not resolve from one that resolves to a private address.
"""

import ipaddress
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout

import httpcore
import httpx
from django.conf import settings

SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
HEADERS = {
    "User-Agent": "Labelyard (add images by URL)",
    "Accept": "image/*",
    # The stored bytes must be the image itself; a compressed body is never unpacked here.
    "Accept-Encoding": "identity",
}
# Name lookups run here so a slow resolver is bound by the deadline too; a lookup that overruns it
# is abandoned (its thread finishes on its own).
_lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="url-fetch-lookup")


class FetchFailed(ValueError):
    """A URL could not be fetched; the message says why, in plain words, starting with the URL."""


class _DeadlinePassed(Exception):
    pass


class _NotPublic(Exception):
    pass


class _NoConnection(Exception):
    pass


def is_public_address(address):
    """True for an internet address; False for loopback, private, link-local (cloud metadata at
    169.254.169.254), shared, reserved and multicast ones, also when written as IPv4-mapped IPv6."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def address_allowed(address):
    """Whether a fetch may connect to `address` under the current settings."""
    if settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE:
        return True
    return address in settings.LABELYARD_URL_FETCH_TEST_PUBLIC_ADDRESSES or is_public_address(address)


class Deadline:
    """The moment a whole fetch must be over; every network wait is cut to the time left."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, timeout=None):
        left = self.end - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed
        return left if timeout is None else min(timeout, left)


def resolve(host, port, deadline):
    """The addresses to connect to for `host`; raises _NotPublic unless every one is allowed."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        lookup = _lookups.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            infos = lookup.result(timeout=deadline.left())
        except LookupTimeout as error:
            raise _DeadlinePassed from error
        except (OSError, UnicodeError) as error:
            # Said like a private address, so a fetch cannot probe which internal names exist.
            raise _NotPublic from error
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
    # All must pass, not one: a name answering with a public and a private address could
    # otherwise reach the private one on a later connection.
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise _NotPublic
    return addresses


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake waits at most until the deadline."""

    def __init__(self, stream, deadline):
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes, timeout=None):
        return self.stream.read(max_bytes, self.deadline.left(timeout))

    def write(self, buffer, timeout=None):
        self.stream.write(buffer, self.deadline.left(timeout))

    def close(self):
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        # server_hostname is the URL's host name, so the certificate is checked against the name
        # although the connection was made to a checked address.
        stream = self.stream.start_tls(ssl_context, server_hostname, self.deadline.left(timeout))
        return _DeadlineStream(stream, self.deadline)

    def get_extra_info(self, info):
        return self.stream.get_extra_info(info)


class _CheckedBackend(httpcore.NetworkBackend):
    """Opens connections only to checked addresses of the requested host, within the deadline."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        for address in resolve(host, port, self.deadline):
            try:
                stream = self.backend.connect_tcp(
                    address, port, self.deadline.left(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
            except _DeadlinePassed:
                break
            return _DeadlineStream(stream, self.deadline)
        # Refused, timed out and unreachable are one error, so a fetch cannot tell a closed port
        # from a filtered one.
        raise _NoConnection

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise _NoConnection

    def sleep(self, seconds):
        time.sleep(seconds)


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, response):
        self.response = response

    def __iter__(self):
        yield from self.response.iter_stream()

    def close(self):
        self.response.close()


class CheckedTransport(httpx.BaseTransport):
    """An httpx transport over httpcore whose connections go through _CheckedBackend."""

    def __init__(self, deadline):
        self.pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_CheckedBackend(deadline)
        )

    def handle_request(self, request):
        url = request.url
        response = self.pool.handle_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response),
            extensions=response.extensions,
        )

    def close(self):
        self.pool.close()


def check_url(url):
    """Refuse a URL that is not an absolute http or https URL with a host; returns it parsed."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise FetchFailed(f"{url}: the URL is not valid ({error}).") from error
    if parsed.scheme not in SCHEMES or not parsed.host:
        raise FetchFailed(f"{url}: only http and https URLs can be added.")
    return parsed


def fetch(url, handle, limit):
    """Write the body found at `url` into the binary file `handle`, at most `limit` bytes.

    Follows up to MAX_REDIRECTS redirects, checking each like the first URL. Raises FetchFailed.
    """
    check_url(url)
    seconds = settings.LABELYARD_URL_FETCH_TIMEOUT
    deadline = Deadline(seconds)
    # trust_env=False: no proxy from the environment and no credentials from ~/.netrc.
    transport = CheckedTransport(deadline)
    with httpx.Client(transport=transport, headers=HEADERS, timeout=seconds, trust_env=False) as client:
        request = client.build_request("GET", url)
        for hop in range(MAX_REDIRECTS + 1):
            where = f"{url} (redirected to {request.url})" if hop else url
            if request.url.scheme not in SCHEMES:
                raise FetchFailed(f"{where}: only http and https URLs are fetched.")
            try:
                response = client.send(request, stream=True)
                try:
                    if response.next_request is not None:
                        request = response.next_request
                        continue
                    if response.status_code != 200:
                        raise FetchFailed(f"{where}: the server answered {response.status_code}.")
                    _copy(response, handle, limit, where)
                    return
                finally:
                    response.close()
            except _NotPublic as error:
                raise FetchFailed(
                    f"{where}: {request.url.host} is not a public internet host; images are fetched only from "
                    "public addresses (setting LABELYARD_URL_FETCH_ALLOW_PRIVATE)."
                ) from error
            except _NoConnection as error:
                raise FetchFailed(f"{where}: could not connect to {request.url.host}.") from error
            except (_DeadlinePassed, httpcore.TimeoutException, httpx.TimeoutException) as error:
                raise FetchFailed(f"{where}: the fetch took longer than {seconds:g} seconds.") from error
            except (httpcore.NetworkError, httpcore.ProtocolError, httpx.HTTPError, httpx.InvalidURL) as error:
                raise FetchFailed(f"{where}: the server's answer broke off or is not valid HTTP.") from error
        raise FetchFailed(f"{url}: more than {MAX_REDIRECTS} redirects.")


def _copy(response, handle, limit, where):
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchFailed(f"{where}: the file is larger than {limit} bytes.")
    for chunk in response.iter_raw():
        handle.write(chunk)
        if handle.tell() > limit:
            raise FetchFailed(f"{where}: the file is larger than {limit} bytes.")
