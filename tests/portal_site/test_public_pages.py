"""Public pages: the same bytes and headers for every anonymous visitor,
cacheable by shared caches, and served when the cache is unavailable."""

import logging
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from common.models import PendingPurge
from common.page_cache import PURGE_LOCK_KEY, PURGE_LOG_KEY, TIMERS_KEY
from cookies.consent import cookie_name

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/", "/news/", "/news/2020/", "/news/category/update/", "/news/search/?q=portal",
    "/news/feed/", "/news/feed/atom/", "/sitemap.xml", "/robots.txt", "/news/1999/",
]
COOKIE_JARS = {
    "none": {},
    "consent": {cookie_name(): "anything:signed:maybe"},
    "csrf": {"csrftoken": "x" * 32},
    "junk": {"junk": "\x7f;%%", "messages": "old", "cookie_consent_saved": "saved"},
}


@pytest.fixture
def published(make_item):
    return make_item(title="Claims Portal maintenance", summary="The portal will be offline.")


def fetch(url, cookies, **headers):
    client = Client()
    for name, value in cookies.items():
        client.cookies[name] = value
    return client.get(url, headers=headers)


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_every_visitor_gets_the_same_bytes_and_headers(url, published):
    responses = {name: fetch(url, jar) for name, jar in COOKIE_JARS.items()}
    first = responses["none"]
    for name, response in responses.items():
        assert response.status_code == first.status_code, name
        assert response.content == first.content, name
        assert not response.cookies, f"{name}: Set-Cookie {response.cookies}"
        for header in ("Cache-Control", "Content-Type", "ETag", "Content-Security-Policy"):
            assert response.get(header) == first.get(header), (name, header)
        assert "Cookie" not in response.get("Vary", ""), name
    assert b"csrfmiddlewaretoken" not in first.content
    assert b"nonce" not in first.content


@pytest.mark.parametrize("url", [u for u in PUBLIC_URLS if u != "/news/1999/"])
def test_public_pages_are_cacheable_by_shared_caches(url, published):
    response = fetch(url, {})
    assert response.status_code == 200
    parts = [part.strip() for part in response["Cache-Control"].split(",")]
    directives = {part.split("=")[0]: part for part in parts}
    assert "public" in directives
    assert directives["max-age"] == "max-age=60"
    assert directives["s-maxage"] == "s-maxage=600"
    assert "stale-while-revalidate" in directives and "stale-if-error" in directives
    assert fetch(url, {}, **{"If-None-Match": response["ETag"]}).status_code == 304


def test_not_found_pages_are_the_same_for_everyone_and_briefly_cacheable(published):
    response = fetch("/news/2020/no-such-item/", COOKIE_JARS["junk"])
    assert response.status_code == 404
    assert "public" in response["Cache-Control"] and "s-maxage=60" in response["Cache-Control"]
    assert response.content == fetch("/news/2020/no-such-item/", {}).content


def test_html_is_compressed_for_browsers_that_accept_it(published):
    response = fetch("/news/2020/", {}, **{"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]


def test_staff_with_a_session_get_private_fresh_pages(admin_client, published):
    Client().get("/news/2020/")
    response = admin_client.get("/news/2020/")
    assert "X-Page-Cache" not in response
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def stored_pages(calls):
    bookkeeping = {PURGE_LOG_KEY, PURGE_LOCK_KEY, TIMERS_KEY}
    return {c.args[0] for c in calls if c.args[0].startswith("page-cache:")} - bookkeeping


def test_made_up_query_strings_share_one_cache_entry(published, settings):
    settings.PAGE_CACHE_TIMEOUT = 600
    with mock.patch.object(cache, "set", wraps=cache.set) as cache_set:
        assert fetch("/news/2020/", {})["X-Page-Cache"] == "miss"
        for query in ("?utm_source=1", "?gclid=abc&fbclid=x", "?made=up&page=1", "?zzz=1"):
            assert fetch("/news/2020/" + query, {})["X-Page-Cache"] == "hit", query
    assert len(stored_pages(cache_set.call_args_list)) == 1


def test_a_page_that_does_not_exist_is_not_stored(published):
    with mock.patch.object(cache, "set", wraps=cache.set) as cache_set:
        for n in range(5):
            assert fetch(f"/news/2020/?page={n + 2}", {}).status_code == 404
    assert not stored_pages(cache_set.call_args_list)


def test_pages_render_from_the_database_when_redis_is_unreachable(
    unreachable_redis, published, caplog
):
    with caplog.at_level(logging.WARNING, logger="common.cache_backends"):
        for url in ("/", "/news/2020/", published.get_absolute_url(), "/cookies/"):
            response = Client().get(url)
            assert response.status_code == 200, url
    assert "Cache unavailable" in caplog.text


def test_a_cache_that_is_down_never_fails_a_save_and_the_purge_stays_owed(
    make_item, settings, caplog, django_capture_on_commit_callbacks
):
    settings.FRONTEND_CACHE_URLS = ["http://127.0.0.1:9"]  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="common.purges"):
        with django_capture_on_commit_callbacks(execute=True):
            item = make_item(title="Saved whatever the cache")
    assert item.pk
    assert "Could not purge http://127.0.0.1:9" in caplog.text
    # The application's own cache has it; the shared cache is owed it.
    (owed,) = PendingPurge.objects.filter(keys__contains=f"news-item-{item.pk} ")
    assert owed.delivered_to == ["page-cache"]
