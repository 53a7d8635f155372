"""Atom authors and entry ids; sitemap lastmod from the items' real changes."""

import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.core.management import call_command

from tests.helpers import sitemap_entries

pytestmark = pytest.mark.django_db
YEAR_2020 = "http://127.0.0.1:8000/news/2020/"
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}


@pytest.mark.parametrize("url", ["/news/feed/atom/", "/news/category/update/feed/atom/"])
def test_every_atom_entry_has_an_author_and_a_tag_id(client, make_item, settings, url):
    settings.SITE_URL = "https://news.example.org"
    signed = make_item(title="Signed", author="The Portal team")
    unsigned = make_item(title="Unsigned")
    content = client.get(url).content
    feed = feedparser.parse(content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.author == "Claims Portal"
    authors = {entry.title: entry.author for entry in feed.entries}
    assert authors == {"Signed": "The Portal team", "Unsigned": "Claims Portal"}
    # Every <entry> element itself carries <author><name> (the validator's rule).
    root = ET.fromstring(content)
    for entry in root.findall("a:entry", ATOM_NS):
        assert entry.find("a:author/a:name", ATOM_NS).text
    ids = {entry.title: entry.id for entry in feed.entries}
    for item in (signed, unsigned):
        day = item.created_at.date().isoformat()
        assert ids[item.title] == f"tag:news.example.org,{day}:news-item-{item.pk}"


def test_entry_ids_survive_a_change_of_address(
    client, make_item, django_capture_on_commit_callbacks
):
    item = make_item(title="Before")
    before = feedparser.parse(client.get("/news/feed/").content).entries[0].id
    item.slug = "after"
    with django_capture_on_commit_callbacks(execute=True):  # the cached feed ends
        item.save()
    entry = feedparser.parse(client.get("/news/feed/").content).entries[0]
    assert entry.id == before and entry.link.endswith("/news/2020/after/")


def test_sitemap_lastmod_is_the_seed_items_own_date_after_loading(client):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    lastmods = sitemap_entries(client)
    item_url = "http://127.0.0.1:8000/news/2020/insurer-index-update-for-rta-a2a-users-v232/"
    assert lastmods[item_url].startswith("2020-07-02")
    assert lastmods["http://127.0.0.1:8000/news/2020/"].startswith("2021-01-15")
    # No item claims to have changed when it was loaded.
    item_lastmods = [
        m for loc, m in lastmods.items() if loc.startswith(YEAR_2020) and loc != YEAR_2020
    ]
    assert len(item_lastmods) == 38
    assert all(text[:4] in {"2020", "2021"} for text in item_lastmods), item_lastmods
