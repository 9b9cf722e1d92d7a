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

The same guard carries the requests to S3-compatible servers at addresses an admin gave for a
bucket source (projects/buckets.py): `send_bucket_request` is botocore's `before-send` hook, so
boto3 signs each request and this module connects it, to a checked address, without redirects.

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
from botocore import exceptions as boto_errors
from botocore.awsrequest import AWSResponse
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


# Room above the image size limit for an answer's other bytes (a listing's XML).
BUCKET_ANSWER_SLACK = 1 << 20


def check_endpoint(url):
    """Refuse an S3 endpoint URL that is not http(s)://host[:port] or whose host is not public (as for
    fetching); raises FetchFailed. Connections check the addresses again (send_bucket_request)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise FetchFailed(f"{url}: the URL is not valid ({error}).") from error
    if parsed.scheme not in SCHEMES or not parsed.host:
        raise FetchFailed(f"{url}: an endpoint is an http or https URL with a host.")
    if parsed.userinfo or parsed.query or parsed.fragment or parsed.path not in ("", "/"):
        raise FetchFailed(f"{url}: an endpoint is only a scheme, a host and a port, like https://s3.example.com.")
    seconds = settings.LABELYARD_URL_FETCH_TIMEOUT
    try:
        resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80), Deadline(seconds))
    except _NotPublic as error:
        raise FetchFailed(_not_public(url, parsed.host, "buckets")) from error
    except _DeadlinePassed as error:
        raise FetchFailed(f"{url}: looking up {parsed.host} took longer than {seconds:g} seconds.") from error


def _not_public(where, host, what):
    return (
        f"{where}: {host} is not a public internet host; {what} are reached only at public addresses "
        "(setting LABELYARD_URL_FETCH_ALLOW_PRIVATE)."
    )


class _BucketBody:
    """A response body for botocore: `read(amt)` and `stream()` over the checked connection, which
    is closed once the body is read to its end. No answer may be longer than an image may be, so a
    server that ignores a Range or sends an endless listing cannot fill the memory."""

    def __init__(self, url, response, client):
        self.url = url
        self.response = response
        self.client = client
        self.chunks = response.iter_raw()
        self.buffer = bytearray()
        self.left = settings.LABELYARD_MAX_UPLOAD_BYTES + BUCKET_ANSWER_SLACK

    def _more(self):
        try:
            chunk = next(self.chunks, b"")
            self.left -= len(chunk)
            if self.left < 0:
                raise ValueError(f"the answer is longer than {settings.LABELYARD_MAX_UPLOAD_BYTES} bytes")
        except (_DeadlinePassed, httpcore.TimeoutException, httpx.TimeoutException) as error:
            self.close()
            raise boto_errors.ReadTimeoutError(endpoint_url=self.url) from error
        except (httpcore.NetworkError, httpcore.ProtocolError, httpx.HTTPError, ValueError) as error:
            self.close()
            raise boto_errors.ResponseStreamingError(error=error) from error
        if not chunk:
            self.close()
        return chunk

    def read(self, amt=None):
        while amt is None or len(self.buffer) < amt:
            chunk = self._more()
            if not chunk:
                break
            self.buffer += chunk
        amt = len(self.buffer) if amt is None else amt
        data = bytes(self.buffer[:amt])
        del self.buffer[:amt]
        return data

    def stream(self, **kwargs):
        while data := self.read(1 << 16):
            yield data

    def readable(self):
        return True

    def close(self):
        self.response.close()
        self.client.close()


def send_bucket_request(request, **kwargs):
    """botocore's `before-send` hook for a bucket at an admin-given address: send the signed request
    through CheckedTransport (every address checked, no proxy, no redirect, one deadline for the
    request and its body). Refused addresses raise FetchFailed; network failures raise botocore's
    own errors, which boto3 retries as it would its own."""
    seconds = settings.LABELYARD_URL_FETCH_TIMEOUT
    client = httpx.Client(transport=CheckedTransport(Deadline(seconds)), timeout=seconds, trust_env=False)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    outgoing = client.build_request(request.method, request.url, headers=list(request.headers.items()), content=body)
    try:
        response = client.send(outgoing, stream=True)
    except _NotPublic as error:
        client.close()
        raise FetchFailed(_not_public(request.url, outgoing.url.host, "buckets")) from error
    except _NoConnection as error:
        client.close()
        raise boto_errors.EndpointConnectionError(endpoint_url=request.url) from error
    except (_DeadlinePassed, httpcore.TimeoutException, httpx.TimeoutException) as error:
        client.close()
        raise boto_errors.ConnectTimeoutError(endpoint_url=request.url) from error
    except (httpcore.NetworkError, httpcore.ProtocolError, httpx.HTTPError, httpx.InvalidURL) as error:
        client.close()
        raise boto_errors.ConnectionClosedError(endpoint_url=request.url) from error
    return AWSResponse(request.url, response.status_code, response.headers, _BucketBody(request.url, response, client))
