import datetime
import html

import feedparser
import pytest

from news.models import NewsItem
from tests.helpers import sitemap_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(make_item, settings):
    settings.SITE_URL = "https://news.example.org"
    return [
        make_item(title="First & foremost", summary="A <summary> with “quotes”."),
        make_item(title="Second", date=datetime.date(2020, 7, 1)),
        make_item(title="Draft", status=NewsItem.Status.DRAFT),
    ]


@pytest.mark.parametrize(
    "url, version",
    [
        ("/news/feed/", "rss20"),
        ("/news/feed/atom/", "atom10"),
        ("/news/category/update/feed/", "rss20"),
        ("/news/category/update/feed/atom/", "atom10"),
    ],
)
def test_feeds_parse_without_errors_and_use_absolute_urls(client, items, url, version):
    response = client.get(url)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == version
    assert [e.title for e in feed.entries] == ["Second", "First & foremost"]
    first = feed.entries[1]
    assert first.link == "https://news.example.org/news/2020/first-foremost/"
    # The plain-text summary arrives as HTML that displays it literally.
    assert html.unescape(first.summary) == "A <summary> with “quotes”."
    assert first.tags[0].term == "Update"
    assert feed.feed.link.startswith("https://news.example.org/news/")


def test_sitemap_lists_published_items_with_lastmod(client, items):
    entries = sitemap_entries(client)
    assert "https://news.example.org/news/2020/first-foremost/" in entries
    assert entries["https://news.example.org/news/2020/first-foremost/"] is not None
    assert "https://news.example.org/news/2020/" in entries
    assert "https://news.example.org/news/category/update/" in entries
    assert "https://news.example.org/" in entries
    assert not any("draft" in loc for loc in entries)


def test_robots_txt_points_at_the_sitemap(client, items):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: https://news.example.org/sitemap.xml" in response.text
    assert "Disallow: /admin/" in response.text
