"""The address a request came from, for rate limits: REMOTE_ADDR, or the address a trusted reverse
proxy put in its header (LABELYARD_TRUSTED_PROXY_HEADER, LABELYARD_TRUSTED_PROXY_COUNT).

Each proxy appends the address it saw to X-Forwarded-For, after whatever the client sent, so only
the entry the outermost trusted proxy appended is trustworthy: the COUNT-th from the right. Without
a trusted header, X-Forwarded-For is ignored: any client can write it.
"""

import ipaddress

from django.conf import settings


def _parse(text):
    """An ip_address from "1.2.3.4", "1.2.3.4:5678", "::1" or "[::1]:443"; None if it is none of them."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(request):
    """The client's address as text; the proxy's own address when the trusted header is missing or malformed."""
    header = settings.LABELYARD_TRUSTED_PROXY_HEADER
    if header:
        entries = request.META.get(header, "").split(",")
        count = settings.LABELYARD_TRUSTED_PROXY_COUNT
        if len(entries) >= count:
            address = _parse(entries[-count])
            if address is not None:
                return str(address)
    return request.META.get("REMOTE_ADDR", "")


def address_group(address):
    """What one client is limited as: the address, or its /64 for IPv6, which one host often holds whole."""
    parsed = _parse(address)
    if parsed is None:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
