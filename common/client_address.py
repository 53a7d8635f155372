"""The address of the client behind a known number of trusted proxies.

Each proxy appends to X-Forwarded-For the address its connection came from.
With TRUSTED_PROXY_COUNT = n, the n-th address from the right was written by
the outermost trusted proxy and is the client; everything to its left was
sent by the client and may be forged. With n = 0 (the default: no proxy) the
header is ignored and REMOTE_ADDR is the client, so a client that connects
directly gains nothing by sending the header."""

import ipaddress

from django.conf import settings


def client_address(request):
    """The client's IP address as a string."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        # The request did not pass every trusted proxy (or one is misconfigured):
        # nothing in the header can be trusted.
        return remote
    return _normalised(hops[-count]) or remote


def _normalised(value):
    """The address in its canonical text form, or "" if it is not an IP address
    (a proxy may add a port, "[2001:db8::1]:443" or "192.0.2.1:1234")."""
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""
