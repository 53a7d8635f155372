"""Surrogate keys: each public page says which content it shows, each save
purges what it changes, and the application's own cache follows them."""

import datetime
import threading
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from common import page_cache
from common.models import PendingPurge
from common.varnish_rules import public_query_params
from maintenance.models import MaintenanceNotice
from news import surrogate_keys as news_keys
from news.models import Category, DocumentSeries, NewsItem
from news.views import NewsItemView
from pages.models import StandingPage

pytestmark = pytest.mark.django_db

LAYOUT = {"cookies-policy", "maintenance-banner"}  # every page of the base layout


@pytest.fixture
def content(make_item, categories, django_capture_on_commit_callbacks):
    """Three items, a document series, a maintenance notice and a standing page."""
    with django_capture_on_commit_callbacks(execute=True):
        older = make_item(title="Older", date=datetime.date(2020, 5, 1))
        item = make_item(title="The item", date=datetime.date(2020, 6, 1))
        newer = make_item(title="Newer", date=datetime.date(2020, 7, 1), category=categories[1])
        series = DocumentSeries.objects.create(title="Insurer Index", slug="insurer-index")
        document = item.documents.create(
            title="Index v232", series=series, version="v232",
            file=ContentFile(b"%PDF-1.4", "index.pdf"),
        )
        notice = MaintenanceNotice.objects.create(
            title="Overnight", starts_at=timezone.now() + datetime.timedelta(days=30),
            ends_at=timezone.now() + datetime.timedelta(days=31),
            status=MaintenanceNotice.Status.PUBLISHED,
        )
        page = StandingPage.objects.create(
            slug="about", title="About", summary="s", status=StandingPage.Status.PUBLISHED
        )
    return {"older": older, "item": item, "newer": newer, "series": series,
            "document": document, "notice": notice, "page": page, "categories": categories}


def keys_of(url):
    response = Client().get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    return set(response.get("Surrogate-Key", "").split())


def test_each_public_page_names_the_content_it_shows(content):
    item, older, newer = content["item"], content["older"], content["newer"]
    update, info = (c.pk for c in content["categories"])
    series, document = content["series"], content["document"]
    expected = {
        "/": {"news-latest", *LAYOUT},
        "/news/": {"news-latest", "news-counts", *LAYOUT},
        "/news/2020/": {
            "news-year-2020", f"news-item-{older.pk}", f"news-item-{item.pk}",
            f"news-item-{newer.pk}", f"news-category-{update}", f"news-category-{info}", *LAYOUT,
        },
        item.get_absolute_url(): {f"news-item-{item.pk}", f"news-category-{update}", *LAYOUT},
        "/news/category/": {"news-categories", "news-counts", *LAYOUT},
        "/news/category/management-info/": {
            f"news-category-{info}", f"news-category-{info}-items", f"news-item-{newer.pk}",
            *LAYOUT,
        },
        "/news/search/?q=item": {"news-search", "news-categories", *LAYOUT},
        "/news/feed/": {"news-latest"},
        "/news/category/update/feed/atom/": {
            f"news-category-{update}", f"news-category-{update}-latest"
        },
        "/sitemap.xml": {"sitemap"},
        "/robots.txt": set(),
        "/documents/insurer-index/": {f"news-series-{series.pk}", f"news-item-{item.pk}",
                                      *LAYOUT},
        "/documents/insurer-index/v232/": {f"news-document-{document.pk}",
                                           f"news-item-{item.pk}"},
        "/maintenance/": {"maintenance-notices", *LAYOUT},
        f"/maintenance/{content['notice'].pk}/": {
            f"maintenance-notice-{content['notice'].pk}", *LAYOUT
        },
        "/maintenance.ics": {"maintenance-notices"},
        "/about/": {f"pages-page-{content['page'].pk}", *LAYOUT},
        "/newsletter/archive/": {"newsletter-archive", *LAYOUT},
        "/news/2020/no-such-item/": {"not-found"},
    }
    for url, keys in expected.items():
        assert keys_of(url) == keys, url


def test_the_cached_copy_names_the_same_keys(content):
    url = content["item"].get_absolute_url()
    first = Client().get(url)
    again = Client().get(url)
    assert again["X-Page-Cache"] == "hit"
    assert again["Surrogate-Key"] == first["Surrogate-Key"]


def changed(item, **fields):
    """The keys a save of `item` with `fields` purges."""
    before = news_keys.stored_snapshot(item.pk)
    for name, value in fields.items():
        setattr(item, name, value)
    return news_keys.changed_by_save(before, news_keys.snapshot(item))


class TestWhatASaveChanges:
    def test_a_new_summary_purges_the_item_and_the_lists_of_newest(self, content):
        item = content["item"]
        assert changed(item, summary="New") == {
            f"news-item-{item.pk}", "news-search", "sitemap", "news-latest",
            f"news-category-{item.category_id}-latest",
        }

    def test_a_new_title_also_purges_the_neighbours_that_link_to_it(self, content):
        item, older, newer = content["item"], content["older"], content["newer"]
        keys = changed(item, title="Renamed")
        assert {f"news-item-{older.pk}", f"news-item-{newer.pk}"} <= keys

    def test_publishing_purges_every_list_it_joins_and_its_address(self, content, make_item):
        draft = make_item(title="Draft", status=NewsItem.Status.DRAFT,
                          date=datetime.date(2018, 1, 1))
        assert changed(draft, summary="Still a draft") == set()
        keys = changed(draft, status=NewsItem.Status.PUBLISHED)
        assert {
            f"news-item-{draft.pk}", "news-year-2018", f"news-category-{draft.category_id}-items",
            "news-counts", "news-search", "sitemap", "not-found",
            f"news-item-{content['older'].pk}",  # its new neighbour
        } <= keys
        assert "news-year-2020" not in keys

    def test_an_old_item_is_on_no_list_of_newest(self, content, make_item):
        for n in range(news_keys.LATEST_LENGTH):
            make_item(title=f"Recent {n}", date=datetime.date(2021, 1, 1))
        assert "news-latest" not in changed(content["older"], summary="Edited")
        assert "news-latest" in changed(NewsItem.objects.get(title="Recent 0"), summary="Edited")

    def test_moving_an_item_to_another_year_purges_both(self, content):
        keys = changed(content["item"], archive_year=2019)
        assert {"news-year-2019", "news-year-2020"} <= keys

    def test_scheduling_purges_what_it_will_change(self, make_item):
        item = make_item(status=NewsItem.Status.DRAFT)
        soon = timezone.now() + datetime.timedelta(minutes=5)
        keys = changed(item, status=NewsItem.Status.PUBLISHED, published_at=soon)
        assert {"news-year-2020", f"news-item-{item.pk}"} <= keys

    def test_saves_are_recorded_in_their_transaction(self, content):
        PendingPurge.objects.all().delete()
        content["series"].title = "Insurer Index for RTA"
        content["series"].save()
        (row,) = PendingPurge.objects.all()
        assert set(row.keys.split()) == {
            f"news-series-{content['series'].pk}", f"news-item-{content['item'].pk}", "not-found"
        }

    def test_renaming_a_category_purges_every_page_naming_it(self, content):
        PendingPurge.objects.all().delete()
        category = Category.objects.get(slug="update")
        category.name = "Updates"
        category.save()
        (row,) = PendingPurge.objects.all()
        assert {f"news-category-{category.pk}", "news-latest", "news-categories"} <= set(
            row.keys.split()
        )


def test_every_paginated_public_page_reads_its_page_parameter():
    """The application's cache key and Varnish keep only the parameters a page
    reads: a list that forgot `page` would serve its first page for every page."""

    def leaves(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from leaves(pattern.url_patterns)
            else:
                yield pattern

    checked = 0
    for pattern in leaves(get_resolver().url_patterns):
        params = public_query_params(pattern.callback)
        view_class = getattr(pattern.callback, "view_class", None)
        if params is not None and getattr(view_class, "paginate_by", None):
            assert "page" in params, pattern
            checked += 1
    assert checked >= 4  # years, categories, search, the digest archive


class TestApplicationCache:
    def test_a_lookup_is_one_round_trip(self, content, redis_url):
        url = content["item"].get_absolute_url()
        Client().get(url)
        with (
            mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
            mock.patch.object(cache, "get", wraps=cache.get) as get,
        ):
            assert Client().get(url)["X-Page-Cache"] == "hit"
        assert get_many.call_count == 1 and get.call_count == 0

    def test_a_purge_ends_only_the_pages_showing_its_keys(self, content):
        item_url = content["item"].get_absolute_url()
        for url in (item_url, "/news/category/management-info/", "/maintenance/"):
            Client().get(url)
        page_cache.apply_purge({f"news-item-{content['item'].pk}"})
        assert Client().get(item_url)["X-Page-Cache"] == "miss"
        assert Client().get("/news/category/management-info/")["X-Page-Cache"] == "hit"
        assert Client().get("/maintenance/")["X-Page-Cache"] == "hit"

    def test_a_page_made_before_a_purge_and_stored_after_it_is_not_served(self, content):
        """A page read from the database before a save committed must not
        outlive the save's purge, however late it is stored."""
        url = content["item"].get_absolute_url()
        key = f"news-item-{content['item'].pk}"
        original = NewsItemView.get_context_data

        def purge_while_rendering(view, **kwargs):
            page_cache.apply_purge({key})  # the save commits while the page renders
            return original(view, **kwargs)

        with mock.patch.object(NewsItemView, "get_context_data", purge_while_rendering):
            assert Client().get(url)["X-Page-Cache"] == "miss"
        assert Client().get(url)["X-Page-Cache"] == "miss"
        assert Client().get(url)["X-Page-Cache"] == "hit"

    def test_concurrent_purges_are_all_kept(self, content):
        threads = [
            threading.Thread(target=page_cache.apply_purge, args=({f"key-{n}"},))
            for n in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log = cache.get(page_cache.PURGE_LOG_KEY)
        assert {f"key-{n}" for n in range(20)} <= set(log["keys"])


def test_a_cache_that_cannot_keep_a_purge_says_so(unreachable_redis):
    with pytest.raises(page_cache.PurgeNotApplied):
        page_cache.apply_purge({"news-item-1"})
