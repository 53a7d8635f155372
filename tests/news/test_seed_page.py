"""The demo content reproduces the real "News and updates 2020" page item by item."""

import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from django.core.management import call_command
from django.utils.html import escape

from news.demo import SEED_PAGE
from news.models import NewsItem

pytestmark = pytest.mark.django_db

SHARED_SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_5b8407f93c5e2b5b.txt"


def seed_items():
    """(category, dd/mm/yyyy, title, summary) for each item, read straight from the text."""
    blocks = [b.strip() for b in SEED_PAGE.read_text(encoding="utf-8").split("\n\n")]
    items = []
    for i, block in enumerate(blocks):
        header = re.fullmatch(r"(Update|Management info)(\d\d/\d\d/\d{4})", block)
        if header:
            summary = re.sub(r"\s*Read more$", "", blocks[i + 2])
            items.append((header[1], header[2], blocks[i + 1], " ".join(summary.split())))
    return items


class ArchiveItems(HTMLParser):
    """Collects (category, date, title, summary) from a rendered archive page."""

    def __init__(self):
        super().__init__()
        self.items, self.field, self.current = [], None, None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class", "") or ""
        if tag == "article":
            self.current = {"category": "", "date": "", "title": "", "summary": ""}
        elif self.current is not None:
            if "tag" in classes.split():
                self.field = "category"
            elif tag == "time":
                self.field = "date"
            elif "news-list__title" in classes:
                self.field = "title"
            elif "news-list__summary" in classes:
                self.field = "summary"

    def handle_endtag(self, tag):
        if tag in ("a", "strong", "time", "p", "h2", "h3"):
            self.field = None
        if tag == "article" and self.current:
            c = self.current
            self.items.append(
                (c["category"], c["date"], c["title"].strip(), " ".join(c["summary"].split()))
            )
            self.current = None

    def handle_data(self, data):
        if self.current is not None and self.field:
            self.current[self.field] += data


def test_repository_copy_of_the_seed_page_is_verbatim():
    if not SHARED_SEED.exists():
        pytest.skip("shared/seed is not beside this checkout")
    assert SEED_PAGE.read_bytes() == SHARED_SEED.read_bytes()


def test_year_page_matches_the_seed_page_item_by_item(client):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    response = client.get("/news/2020/")
    assert response.status_code == 200
    assert "<h1>News and updates 2020</h1>" in response.text
    parser = ArchiveItems()
    parser.feed(response.text)
    expected = seed_items()
    assert len(expected) == 38
    assert parser.items == expected


def test_december_2020_dashboard_is_dated_2021_and_filed_in_2020():
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    item = NewsItem.objects.get(
        title="Executive Dashboard Management Information Now Available - December 2020"
    )
    assert item.date.isoformat() == "2021-01-15"
    assert item.archive_year == 2020
    assert not NewsItem.objects.filter(archive_year=2021).exists()


def test_loading_twice_changes_nothing():
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    before = list(NewsItem.objects.order_by("pk").values())
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    assert list(NewsItem.objects.order_by("pk").values()) == before


def test_reloading_corrects_a_database_that_loaded_the_old_demo():
    """The first demo repeated each summary as the body and published items of
    one date at one instant; loading the demo again corrects both, in place."""
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    for item in NewsItem.objects.all():
        NewsItem.objects.filter(pk=item.pk).update(
            body=f"<p>{escape(item.summary)}</p>",
            published_at=item.published_at.replace(hour=9, minute=0),
        )
    ids = set(NewsItem.objects.values_list("pk", flat=True))
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    assert set(NewsItem.objects.values_list("pk", flat=True)) == ids  # updated, not duplicated
    assert not NewsItem.objects.exclude(body="").exists()
    instants = list(NewsItem.objects.values_list("published_at", flat=True))
    assert len(set(instants)) == len(instants) == 38


def test_an_item_page_shows_the_summary_once(client):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    item = NewsItem.objects.get(slug="attention-a2a-users")
    html = client.get(item.get_absolute_url()).text
    article = html[html.index("<article>") : html.index("</article>")]
    assert article.count(escape(item.summary)) == 1
    assert f'<p class="lead">{escape(item.summary)}</p>' in article


def test_feed_entries_were_updated_at_distinct_instants_in_the_pages_order(client):
    """W3C's feed validator warns of two entries with the same atom:updated."""
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    feed = feedparser.parse(client.get("/news/feed/atom/").content)
    updated = [entry.updated_parsed for entry in feed.entries]
    assert len(updated) == 20
    assert updated == sorted(set(updated), reverse=True)  # distinct, newest first
