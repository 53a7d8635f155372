"""The shared cache (Varnish with varnish/default.vcl) in front of the live site."""

import socket
import threading
import time
from unittest import mock

import pytest
from django.db import OperationalError

from news.views import YearArchiveView

from .conftest import fetch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def published(make_item):
    return make_item(title="Insurer Index v232", summary="The latest Insurer Index.")


def test_anonymous_pages_are_hits_and_cookies_play_no_part(varnish, published):
    status, headers, body = fetch(varnish.url + "/news/2020/")
    assert status == 200 and headers["x-cache"] == "MISS"
    for cookie in ("", "csrftoken=abc", "cookie_consent=x:y:z; junk=1"):
        status, again, same = fetch(varnish.url + "/news/2020/", headers={"Cookie": cookie})
        assert again["x-cache"] == "HIT", cookie
        assert same == body
        assert "set-cookie" not in again
    assert b"Insurer Index v232" in body


def test_personal_pages_and_sessions_are_passed(varnish, published):
    for url in ("/admin/login/", "/cookies/", "/newsletter/"):
        fetch(varnish.url + url)
        status, headers, _ = fetch(varnish.url + url)
        assert headers["x-cache"] == "MISS", url
    fetch(varnish.url + "/news/2020/")
    _, headers, _ = fetch(varnish.url + "/news/2020/", headers={"Cookie": "sessionid=abc"})
    assert headers["x-cache"] == "MISS"
    assert "private" in headers["cache-control"]


def test_made_up_query_strings_do_not_multiply_entries(varnish, published):
    fetch(varnish.url + "/news/2020/")
    before = varnish.objects()
    for n in range(200):
        query = f"?utm_source={n}&gclid={n}&fbclid=x&made{n}=up&page=1"
        _, headers, _ = fetch(varnish.url + "/news/2020/" + query)
        assert headers["x-cache"] == "HIT", query
    for n in range(50):  # pages that do not exist are answered, not kept
        status, _, _ = fetch(varnish.url + f"/news/2020/?page={1000 + n}")
        assert status == 404
    assert varnish.objects() <= before + 2


def test_search_keeps_its_own_parameters_sorted(varnish, published):
    fetch(varnish.url + "/news/search/?q=insurer&page=1")
    _, headers, body = fetch(varnish.url + "/news/search/?utm_medium=x&q=insurer")
    assert headers["x-cache"] == "HIT"
    assert b"Insurer Index v232" in body
    _, headers, _ = fetch(varnish.url + "/news/search/?q=other")
    assert headers["x-cache"] == "MISS"


def test_html_is_compressed(varnish, published):
    _, headers, body = fetch(varnish.url + "/news/2020/", headers={"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert body[:2] == b"\x1f\x8b"


def test_stale_pages_are_served_while_the_application_is_down(
    varnish, relay, published, settings
):
    settings.PUBLIC_PAGE_SHARED_MAX_AGE = 1
    _, headers, body = fetch(varnish.url + "/news/2020/")
    assert "s-maxage=1" in headers["cache-control"]
    relay.up = False
    time.sleep(4)  # the page has expired and the probe has marked the application sick
    status, headers, stale = fetch(varnish.url + "/news/2020/")
    assert status == 200
    assert stale == body
    relay.up = True


def test_a_stale_page_is_not_replaced_by_an_error_while_the_probe_still_passes(
    varnish, relay, published, settings
):
    """The first seconds of a database outage: the probe has not yet failed,
    a visitor gets the stale page and Varnish refreshes it in the background;
    the application answers 503, and the stale page must stay (it used to be
    replaced by the error, so the next visitor got a 503)."""
    settings.PUBLIC_PAGE_SHARED_MAX_AGE = 1
    _, _, body = fetch(varnish.url + "/news/2020/")
    time.sleep(1.5)  # expired, within the 10 s of grace Varnish allows a healthy backend
    with mock.patch.object(YearArchiveView, "get", side_effect=OperationalError("frozen")):
        for _ in range(3):
            status, _, stale = fetch(varnish.url + "/news/2020/")
            assert (status, stale) == (200, body)
            time.sleep(0.5)  # the background fetch has had its 503 by now
    assert fetch(varnish.url + "/healthz/")[0] == 200  # the probe passed throughout


def test_large_request_bodies_are_refused_before_the_application(varnish):
    body = b"x" * (2 * 1024 * 1024)
    status, _, _ = fetch(
        varnish.url + "/newsletter/", method="POST", body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413


def trickle(port, sent_at_once, trickled, seconds):
    """A client that sends `sent_at_once`, then `trickled` a byte every half second."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(sent_at_once)
    deadline = time.monotonic() + seconds
    for byte in trickled:
        if time.monotonic() > deadline:
            break
        try:
            sock.send(bytes([byte]))
        except OSError:
            break
        time.sleep(0.5)
    return sock


def test_slow_clients_do_not_hold_the_application(varnish, relay, published):
    """Fifty clients sending their headers or their bodies a byte at a time
    reach no further than Varnish; other visitors are served meanwhile."""
    heads = [(b"GET /news/2020/ HTTP/1.1\r\nHost: x\r\n", b"X-Slow: " + b"a" * 40)] * 25 + [
        (b"POST /newsletter/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
         b"Content-Length: 100\r\n\r\n", b"b" * 40)
    ] * 25
    relay.most_open_connections = 0
    threads = [
        threading.Thread(target=trickle, args=(varnish.port, *head, 8), daemon=True)
        for head in heads
    ]
    for thread in threads:
        thread.start()
    time.sleep(2)  # every slow client is connected and sending
    for _ in range(20):
        started = time.monotonic()
        status, _, body = fetch(varnish.url + "/news/2020/")
        assert status == 200 and b"Insurer Index v232" in body
        assert time.monotonic() - started < 2
        status, _, _ = fetch(varnish.url + "/cookies/")  # passed to the application
        assert status == 200
    # The application never saw the slow clients: only the few real requests.
    assert relay.most_open_connections <= 4
