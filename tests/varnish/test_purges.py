"""Targeted purges through Varnish (xkey): each page names its content, a save
purges exactly the pages showing it, softly, in every cache, and only the
application may ask."""

import datetime
import threading
import time

import pytest

from common import purges
from common.models import PendingPurge
from tests.helpers import wait_until

from .conftest import fetch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def content(make_item, categories):
    """An item of 2020 in the first category, and one of 2019 in the other."""
    edited = make_item(title="Insurer Index v232", summary="The first summary.",
                       date=datetime.date(2020, 6, 1))
    other = make_item(title="Claims Portal release", date=datetime.date(2019, 3, 1),
                      category=categories[1])
    PendingPurge.objects.all().delete()  # their own purges: nothing was cached yet
    return edited, other


def cached(cache, url):
    """Fetch `url` until Varnish holds it; its body."""
    fetch(cache.url + url)
    status, headers, body = fetch(cache.url + url)
    assert status == 200 and headers["x-cache"] == "HIT", (url, status, headers)
    return body


def shows(cache, url, text):
    return text.encode() in fetch(cache.url + url)[2]


def test_every_page_type_names_its_keys_through_the_cache(varnish, content, live_server):
    """What tests/portal_site/test_surrogate_keys.py checks page by page, as
    Varnish stores it: the same keys, first fetched and then from the cache."""
    edited, _ = content
    urls = ["/", "/news/", "/news/2020/", edited.get_absolute_url(), "/news/category/",
            "/news/category/update/", "/news/search/?q=index", "/news/feed/",
            "/news/category/update/feed/", "/sitemap.xml", "/maintenance/", "/maintenance.ics",
            "/newsletter/archive/", "/news/2020/no-such-item/"]
    https = {"X-Forwarded-Proto": "https"}  # as the TLS proxy sends (404s are kept then)
    for url in urls:
        direct = fetch(live_server.url + url)[1]["surrogate-key"]
        first, again = (fetch(varnish.url + url, headers=https)[1] for _ in range(2))
        assert first["surrogate-key"] == again["surrogate-key"] == direct, url
        assert again["x-cache"] == "HIT", url
        assert "xkey" not in again  # Varnish's own copy of them stays inside
    _, headers, _ = fetch(varnish.url + edited.get_absolute_url())
    assert f"news-item-{edited.pk}" in headers["surrogate-key"].split()


def test_a_save_purges_exactly_the_pages_that_show_it(varnish, content, settings):
    settings.FRONTEND_CACHE_URLS = [varnish.url]
    edited, other = content
    changed = ["/", "/news/2020/", edited.get_absolute_url(), "/news/category/update/"]
    unrelated = ["/news/2019/", other.get_absolute_url(), "/news/category/management-info/",
                 "/maintenance/", "/robots.txt", "/news/category/"]
    for url in changed + unrelated:
        cached(varnish, url)
    edited.summary = "The second summary."
    edited.save()  # a transactional test: it commits, then purges

    for url in changed:
        wait_until(lambda url=url: shows(varnish, url, "The second summary."), 2, url)
    fetched = varnish.counter("MAIN.backend_req")
    for url in unrelated:
        _, headers, _ = fetch(varnish.url + url)
        assert headers["x-cache"] == "HIT", url
    assert varnish.counter("MAIN.backend_req") == fetched
    assert not PendingPurge.objects.exists()


def test_a_soft_purge_serves_the_stale_page_while_one_request_refreshes_it(
    varnish, content, settings
):
    settings.FRONTEND_CACHE_URLS = [varnish.url]
    edited, _ = content
    url = edited.get_absolute_url()
    cached(varnish, url)
    edited.summary = "The second summary."
    edited.save()
    fetched = varnish.counter("MAIN.backend_req")
    answers = []

    def visit():
        answers.append(fetch(varnish.url + url))

    visitors = [threading.Thread(target=visit) for _ in range(8)]
    for visitor in visitors:  # at once, right after the purge
        visitor.start()
    for visitor in visitors:
        visitor.join()
    assert all(status == 200 for status, _, _ in answers)
    stale = [body for _, _, body in answers if b"The first summary." in body]
    assert stale and all(headers["x-cache"] == "HIT" for _, headers, _ in answers)
    wait_until(lambda: shows(varnish, url, "The second summary."), 2, "the new page")
    # Eight visitors, one request to the application.
    assert varnish.counter("MAIN.backend_req") == fetched + 1


def test_only_the_purgers_acl_may_purge(varnish, content):
    edited, _ = content
    url = edited.get_absolute_url()
    cached(varnish, url)
    key = {"Surrogate-Key": f"news-item-{edited.pk}"}
    # 127.0.0.2 is not in the purgers ACL (the test's backend.vcl names 127.0.0.1).
    assert fetch(varnish.url + "/", "PURGE", headers=key, source="127.0.0.2")[0] == 403
    assert fetch(varnish.url + "/", "BAN", source="127.0.0.2")[0] == 403
    assert fetch(varnish.url + url)[1]["x-cache"] == "HIT"
    assert fetch(varnish.url + "/", "PURGE")[0] == 400  # which keys?
    status, headers, _ = fetch(varnish.url + "/", "PURGE", headers=key)
    assert status == 200 and headers["x-purged"] == "1"
    # A purged page is fetched again (it was served stale meanwhile at most).
    fetched = varnish.counter("MAIN.backend_req")
    fetch(varnish.url + url)
    wait_until(lambda: varnish.counter("MAIN.backend_req") == fetched + 1, 2, "a refresh")


def test_a_stalled_cache_gets_its_purge_once_back_and_holds_up_no_other(
    relay, start_varnish, content, settings
):
    first, second = (start_varnish(relay.server_address[1]) for _ in range(2))
    settings.FRONTEND_CACHE_URLS = [first.url, second.url]
    edited, _ = content
    url = edited.get_absolute_url()
    for node in (first, second):
        cached(node, url)
    second.freeze()  # accepts connections, answers nothing, keeps its cache
    try:
        started = time.monotonic()
        edited.summary = "The second summary."
        edited.save()  # the purge to the second waits FRONTEND_CACHE_TIMEOUT, then is owed
        assert time.monotonic() - started < settings.FRONTEND_CACHE_TIMEOUT + 2
        wait_until(lambda: shows(first, url, "The second summary."), 2, "the first cache")
        (owed,) = PendingPurge.objects.all()
        assert owed.delivered_to == ["page-cache", first.url]
    finally:
        second.thaw()
    assert shows(second, url, "The first summary.")  # still what it held
    assert purges.deliver() == 0  # what beat runs every PURGE_RETRY_SECONDS
    wait_until(lambda: shows(second, url, "The second summary."), 2, "the second cache")
    assert not PendingPurge.objects.exists()


def test_plain_http_answers_are_never_served_to_https(site_database, start_site, start_varnish):
    """Production settings (DEBUG off, SSL redirect on) behind Varnish: a plain
    HTTP request gets its redirect, which is not kept, and never reaches an
    HTTPS visitor; the probe (/healthz/) finds the application healthy."""
    site = start_site(DATABASE_URL=site_database, SECURE_SSL_REDIRECT=1)
    cache = start_varnish(site.port)
    https = {"X-Forwarded-Proto": "https"}
    for attempt in range(2):
        status, headers, _ = fetch(cache.url + "/news/2020/")
        assert status == 301 and headers["location"].startswith("https://"), attempt
        assert headers["x-cache"] == "MISS"  # never stored
    status, headers, body = fetch(cache.url + "/news/2020/", headers=https)
    assert status == 200 and b"News and updates 2020" in body
    assert fetch(cache.url + "/news/2020/", headers=https)[1]["x-cache"] == "HIT"
    # Neither order nor a forged protocol mixes them up.
    for proto in (None, "HTTPS", "http, https", "ftp"):
        headers = {"X-Forwarded-Proto": proto} if proto else {}
        assert fetch(cache.url + "/news/2020/", headers=headers)[0] == 301, proto
    assert fetch(cache.url + "/news/2020/", headers=https)[0] == 200
    # A host the site does not serve: a 400 for plain HTTP is not kept either.
    bad_host = {"Host": "elsewhere.example"}
    assert fetch(cache.url + "/news/2020/", headers=bad_host)[1]["x-cache"] == "MISS"
    assert fetch(cache.url + "/news/2020/", headers=bad_host)[1]["x-cache"] == "MISS"
