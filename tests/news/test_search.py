"""Search: the stored, GIN-indexed vector on PostgreSQL, snippets that cannot
inject HTML, filters by category and year, and flat query counts."""

import datetime

import pytest
from django.db import connection

from news.models import Category, NewsItem
from news.search import custom_query_plans, search
from tests.helpers import require

pytestmark = pytest.mark.django_db


def on_postgresql():
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")


def results(client, **params):
    response = client.get("/news/search/", params)
    assert response.status_code == 200
    return response, [item.title for item in response.context["items"]]


def test_title_ranks_above_summary_above_body(client, make_item):
    on_postgresql()
    make_item(
        title="Body", body="<p>The helpdesk opens at nine.</p>", date=datetime.date(2020, 9, 1)
    )
    make_item(title="Summary", summary="Ask the helpdesk.", date=datetime.date(2020, 8, 1))
    make_item(title="Helpdesk hours", date=datetime.date(2020, 7, 1))
    _, titles = results(client, q="helpdesk")
    assert titles == ["Helpdesk hours", "Summary", "Body"]


def test_snippet_highlights_matches_and_escapes_everything_else(client, make_item):
    make_item(
        title="Portal changes",
        summary="The <b>Portal</b> & the helpdesk <script>alert(1)</script>",
        body="<p>Maintenance of the portal &amp; its <em>helpdesk</em>.</p>",
    )
    response, _ = results(client, q="helpdesk")
    (item,) = response.context["items"]
    assert "<mark>helpdesk</mark>" in item.snippet.lower()
    page = response.text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "<b>Portal</b>" not in page
    # Only <mark> markup in the snippet.
    tags = {part.split(">")[0] for part in str(item.snippet).split("<")[1:]}
    assert tags <= {"mark", "/mark"}, tags
    # Nor does the query put markup on the page.
    response, _ = results(client, q="<img src=x onerror=alert(1)>")
    assert "<img src=x" not in response.text and "&lt;img src=x" in response.text


def test_filters_by_category_and_year(client, make_item):
    other = Category.objects.create(name="Management info", slug="management-info")
    make_item(title="Helpdesk 2020", date=datetime.date(2020, 6, 1))
    make_item(title="Helpdesk 2021", date=datetime.date(2021, 6, 1))
    make_item(title="Helpdesk figures", category=other, date=datetime.date(2020, 5, 1))
    assert results(client, q="helpdesk", year="2021")[1] == ["Helpdesk 2021"]
    assert results(client, q="helpdesk", category="management-info")[1] == ["Helpdesk figures"]
    assert results(client, q="helpdesk", category="update", year="2020")[1] == ["Helpdesk 2020"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": "x", "year": "twenty"}, "Enter a year as four digits, like 2020."),
        ({"q": "x", "year": "99999"}, "Enter a year from 1990 to 2100."),
        ({"q": "x", "category": "nope"}, "Choose a category from the list."),
    ],
)
def test_bad_filters_get_a_clear_400(client, category, params, message):
    response = client.get("/news/search/", params)
    assert response.status_code == 400
    assert message in response.text and "There is a problem" in response.text


def test_pagination_keeps_the_filters(client, make_item):
    for n in range(21):
        make_item(title=f"Helpdesk {n}")
    response = client.get("/news/search/", {"q": "helpdesk", "year": "2020"})
    assert 'href="?q=helpdesk&amp;year=2020&amp;page=2"' in response.text


def test_query_count_does_not_grow_with_results(
    client, make_item, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE_TIMEOUT = 0
    counts = []
    for batch in (3, 30):
        for n in range(batch):
            make_item(title=f"Helpdesk {batch} {n}")
        client.get("/news/search/", {"q": "helpdesk"})
        # The categories, the count, the page of rows and their snippets; on
        # PostgreSQL also the plan setting and (in a test) a savepoint's two.
        with django_assert_max_num_queries(8) as captured:
            client.get("/news/search/", {"q": "helpdesk"})
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_vector_follows_edits(make_item):
    on_postgresql()
    item = make_item(title="Helpdesk")
    assert [i.title for i in search("helpdesk")] == ["Helpdesk"]
    item.title = "Opening hours"
    item.save()
    assert list(search("helpdesk")) == []
    assert [i.title for i in search("hours")] == ["Opening hours"]


def test_explain_uses_the_gin_index(make_item, category):
    on_postgresql()
    from django.utils import timezone

    from news.models import update_search_vectors

    published = timezone.now() - datetime.timedelta(days=1)
    NewsItem.objects.bulk_create(
        NewsItem(
            title=f"Item number {n}",
            slug=f"item-{n}",
            archive_year=2020,
            category=category,
            date=datetime.date(2020, 1, 1),
            summary="Summary.",
            status=NewsItem.Status.PUBLISHED,
            published_at=published,
        )
        for n in range(3000)
    )
    update_search_vectors(NewsItem.objects.all())
    make_item(title="Helpdesk")
    with connection.cursor() as cursor:
        # The index's pending list (GIN's fast update) holds what earlier tests
        # inserted and rolled back, and the planner counts its pages as cost:
        # merge it, as autovacuum would on a live site.
        cursor.execute("SELECT gin_clean_pending_list('news_item_search_vector')")
        cursor.execute("ANALYZE news_newsitem")
    with custom_query_plans(), connection.cursor() as cursor:
        # On a table this small the planner may prefer reading it whole; the
        # question here is whether the GIN index serves the search at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search("helpdesk").explain()
    assert "news_item_search_vector" in plan, plan


def test_common_words_rank_the_newest_matches_only(client, make_item, monkeypatch):
    on_postgresql()
    monkeypatch.setattr("news.search.MAX_RESULTS", 3)
    monkeypatch.setattr("news.views.MAX_RESULTS", 3)
    for day in range(1, 6):
        make_item(title=f"Portal {day}", date=datetime.date(2020, 6, day))
    response, titles = results(client, q="portal")
    assert sorted(titles) == ["Portal 3", "Portal 4", "Portal 5"]
    assert "3 or more results for" in response.text
