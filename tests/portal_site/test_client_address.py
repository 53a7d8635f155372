import pytest
from django.test import RequestFactory

from common.client_address import client_address


def request(remote="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    # A client connecting directly cannot pick its own address.
    assert client_address(request(forwarded="192.0.2.1")) == "203.0.113.9"
    assert client_address(request()) == "203.0.113.9"


@pytest.mark.parametrize(
    "forwarded, expected",
    [
        ("198.51.100.4", "198.51.100.4"),  # the proxy appended the client
        ("192.0.2.1, 198.51.100.4", "198.51.100.4"),  # the client forged the first entry
        ("192.0.2.1,198.51.100.4", "198.51.100.4"),
        ("not-an-ip, 198.51.100.4", "198.51.100.4"),
        ("198.51.100.4:51234", "198.51.100.4"),  # with a port
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8:0::1", "2001:db8::1"),  # one text form per address
        ("", "10.0.0.5"),  # no hop recorded: only the connection is known
        ("garbage", "10.0.0.5"),
    ],
)
def test_behind_one_proxy(settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request("10.0.0.5", forwarded)) == expected


def test_behind_two_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # CDN appended the client, Varnish appended the CDN; REMOTE_ADDR is Varnish.
    hops = "192.0.2.1, 198.51.100.4, 10.0.0.7"
    assert client_address(request("10.0.0.5", hops)) == "198.51.100.4"
    # Only one hop recorded: the header cannot be trusted.
    assert client_address(request("10.0.0.5", "198.51.100.4")) == "10.0.0.5"
