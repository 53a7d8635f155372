"""Fragments kept under the content they show ({% fragment %}), fetched with
the page's cache state in one round trip, and single-flight rendering in the
application's page cache (common.page_cache)."""

import datetime
import threading
import time
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import page_cache
from editorial.scheduling import NEXT_DUE_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(make_item, categories):
    return [
        make_item(title=f"Item {n}", date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
                  category=categories[n % 2])
        for n in range(4)
    ]


def cache_calls(url):
    """(get_many calls, get calls but the editorial middleware's own) of one request."""
    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
        mock.patch.object(cache, "get", wraps=cache.get) as get,
    ):
        assert Client().get(url).status_code == 200, url
    gets = [c for c in get.call_args_list if c.args[0] != NEXT_DUE_KEY]
    return get_many.call_count, gets


def fragments_stored(url):
    with mock.patch.object(cache, "set", wraps=cache.set) as cache_set:
        assert Client().get(url).status_code == 200, url
    return {c.args[0] for c in cache_set.call_args_list if c.args[0].startswith("page-fragment:")}


class TestFragments:
    @pytest.fixture(autouse=True)
    def page_cache_off(self, settings):
        settings.PAGE_CACHE_TIMEOUT = 0  # as behind Varnish: pages made from their fragments

    def test_a_page_with_warm_fragments_makes_one_round_trip_to_the_cache(self, items, redis_url):
        for url in ("/", "/news/", "/news/2020/", "/news/category/update/",
                    items[0].get_absolute_url()):
            Client().get(url)  # learns the page's fragments and stores them
            get_many, gets = cache_calls(url)
            assert (get_many, gets) == (1, []), url

    def test_a_year_page_with_warm_fragments_reads_nothing_from_the_database(self, items):
        Client().get("/news/2020/")
        with CaptureQueriesContext(connection) as queries:
            response = Client().get("/news/2020/")
        assert [q["sql"] for q in queries] == []
        # Its fragment declares the items it lists, as a page made afresh does.
        assert {f"news-item-{item.pk}" for item in items} <= set(
            response["Surrogate-Key"].split()
        )
        assert all(item.title in response.text for item in items)

    def test_a_save_leaves_the_fragments_of_other_content_warm(self, items):
        first, second = items[0].get_absolute_url(), items[1].get_absolute_url()
        updates, info = "/news/category/update/", "/news/category/management-info/"
        for url in (first, second, updates, info):
            Client().get(url)
        page_cache.apply_purge({f"news-item-{items[0].pk}"})  # what saving items[0] purges
        assert {key.split(":")[1] for key in fragments_stored(first)} == {
            "news-item", "news-item-neighbours", "page-metadata"
        }
        assert {key.split(":")[1] for key in fragments_stored(updates)} == {"news-list"}
        # The other item's article and neighbours, the other category's list
        # and the shared layout stay as they were.
        assert fragments_stored(second) == set()
        assert fragments_stored(info) == set()

    def test_a_purged_shared_fragment_is_made_again_on_the_next_page(self, items):
        Client().get("/news/2020/")
        page_cache.apply_purge({"maintenance-banner"})
        stored = fragments_stored(items[2].get_absolute_url())
        assert "page-fragment:layout-header" in stored  # it shows the banner
        assert "page-fragment:layout-footer" not in stored  # it shows nothing purged

    def test_a_list_is_rendered_without_reversing_an_address_per_item(self, items, make_item):
        for n in range(30):
            make_item(title=f"More {n}", date=datetime.date(2020, 3, 1))
        Client().get("/")  # the layout's fragments, stored
        cache.delete_many(list(fragments_stored("/news/2020/")))
        with mock.patch("news.models.reverse", wraps=reverse) as reversed_:
            response = Client().get("/news/2020/")
        assert response.text.count('class="read-more"') == 34
        # The item pattern once for the year and each category once, not two per item.
        assert reversed_.call_count == 3, reversed_.call_args_list


@pytest.fixture
def slow_page(settings):
    """A public page that takes 0.3 s to make and counts how often it is made."""
    settings.PAGE_CACHE_TIMEOUT = 600
    settings.PUBLIC_PAGE_CHANGE_TIMERS = []
    made = []

    def view(request):
        made.append(1)
        page_cache.add_keys(request, "slow-page")
        time.sleep(0.3)
        return HttpResponse(f"made {len(made)}")

    page = page_cache.public_page(view)
    factory = RequestFactory()

    def concurrently(count):
        responses = [None] * count

        def get(n):
            responses[n] = page(factory.get("/slow/"))

        threads = [threading.Thread(target=get, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return responses

    cache.delete(page_cache.PAGE_KEY_PREFIX + page_cache._digest("/slow/"))
    return made, concurrently


class TestSingleFlight:
    def test_concurrent_requests_for_a_missing_page_make_it_once(self, slow_page):
        made, concurrently = slow_page
        responses = concurrently(8)
        assert len(made) == 1
        assert {r.content for r in responses} == {b"made 1"}
        assert sorted(r["X-Page-Cache"] for r in responses) == ["hit"] * 7 + ["miss"]

    def test_after_a_purge_one_request_makes_it_and_the_others_get_the_stale_copy(
        self, slow_page
    ):
        made, concurrently = slow_page
        concurrently(1)
        page_cache.apply_purge({"slow-page"})
        responses = concurrently(6)
        assert len(made) == 2
        stale = [r for r in responses if r["X-Page-Cache"] == "stale"]
        assert len(stale) == 5 and {r.content for r in stale} == {b"made 1"}
        # A stale copy is kept by no cache in front.
        assert all("s-maxage=0" in r["Cache-Control"] for r in stale)
        assert concurrently(1)[0].content == b"made 2"

    def test_without_the_cache_every_request_makes_its_own_page(
        self, slow_page, unreachable_redis
    ):
        made, concurrently = slow_page
        started = time.monotonic()
        concurrently(3)
        assert len(made) == 3
        assert time.monotonic() - started < page_cache.RENDER_WAIT_SECONDS  # nobody waited
