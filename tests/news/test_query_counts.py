"""Public pages make a fixed number of queries, however many items there are."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from news.models import Category

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/news/",
    "/news/2020/",
    "/news/category/update/",
    "/news/feed/",
    "/news/2020/item-1/",
]


def add_items(make_item, count, first_day=0):
    other = Category.objects.get_or_create(name="Management info", slug="management-info")[0]
    for n in range(count):
        item = make_item(
            date=datetime.date(2020, 1, 1) + datetime.timedelta(days=first_day + n),
            **({"category": other} if n % 2 else {}),
        )
        if n < 3:
            item.documents.create(title=f"Doc {n}", file=ContentFile(b"%PDF-1.4", f"d{n}.pdf"))


def query_counts(client, django_assert_max_num_queries, settings):
    settings.PAGE_CACHE_TIMEOUT = 0  # measure the pages themselves, not the cache
    counts = {}
    # Fill the site-wide caches the layout reads (the content generation's
    # timers, the cookie policy, the maintenance notices) once.
    client.get("/robots.txt")
    client.get("/cookies/")
    for url in PAGES:
        # Both requests stay within the limit; the second is compared.
        for _ in range(2):
            with django_assert_max_num_queries(5) as captured:
                assert client.get(url).status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_queries_stay_flat_when_items_grow_tenfold(
    client, make_item, django_assert_max_num_queries, settings
):
    add_items(make_item, 6)
    small = query_counts(client, django_assert_max_num_queries, settings)
    add_items(make_item, 60, first_day=6)
    large = query_counts(client, django_assert_max_num_queries, settings)
    assert small == large, (small, large)


def test_on_postgresql_pages_run_prepared_statements_with_generic_plans(
    client, make_item, settings
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (bash .ci/run does)")
    if not connection.settings_dict["OPTIONS"].get("prepare_threshold"):
        pytest.skip("DATABASE_PREPARED_STATEMENTS is off")
    settings.PAGE_CACHE_TIMEOUT = 0
    add_items(make_item, 3)
    for _ in range(3):  # prepared on the second use, then run from the plan
        assert client.get("/news/2020/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ['%FROM "news_newsitem"%"archive_year" = $%'],
        )
        plans = cursor.fetchall()
    assert plans and all(generic >= 1 and custom == 0 for generic, custom in plans), plans


# Queries of each page: with its fragments warm (the page cache off, as behind
# Varnish), and with every cache off (Redis down: the layout's timers, cookie
# policy and notices read too). Fewer is better: lower these when a page needs less.
WARM = {
    "/": 0,
    "/news/": 0,
    "/news/2020/": 0,
    "/news/category/update/": 1,  # the category: its name is outside the list
    "/news/2020/item-1/": 1,  # the item: its title and metadata are outside the article
}
# Every page's layout then reads 7: the four timers of
# PUBLIC_PAGE_CHANGE_TIMERS, the cookie policy and its declarations, the
# maintenance notices.
EVERY_CACHE_OFF = {
    "/": 8,  # the newest items
    "/news/": 9,  # the newest items, the years' counts
    "/news/2020/": 8,  # its page of items (51 rows: whether a next page exists)
    "/news/category/update/": 9,  # the category, its page of items
    # The item, its documents, its neighbours (items of the same date, the
    # nearest newer and older) and the layout's.
    "/news/2020/item-1/": 12,
}


def test_queries_per_page_with_fragments_warm_and_with_every_cache_off(
    client, make_item, settings
):
    add_items(make_item, 6)
    settings.PAGE_CACHE_TIMEOUT = 0
    counts = {}
    for url in WARM:
        client.get(url)
        client.get(url)  # the view's fragments, learned and stored
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    uncached = {}
    for url in EVERY_CACHE_OFF:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        uncached[url] = len(queries)
    assert (counts, uncached) == (WARM, EVERY_CACHE_OFF)
