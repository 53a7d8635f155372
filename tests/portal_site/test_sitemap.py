"""/sitemap.xml: an index of each app's sections, every public page reachable."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command

from maintenance.models import MaintenanceNotice
from news.models import DocumentSeries, NewsItem
from news.sitemaps import NewsItemSitemap
from tests.helpers import SITEMAP_NS, sitemap_entries

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def demo():
    call_command("load_demo_content", stdout=open("/dev/null", "w"))


def test_every_kind_of_public_page_is_in_the_sitemap(client, demo):
    notice = MaintenanceNotice.objects.first()
    entries = sitemap_entries(client)
    for path in [
        "/",
        "/news/",
        "/news/category/",
        "/news/category/update/",
        "/news/2020/",
        "/news/2020/scheduled-maintenance-notice/",
        "/documents/insurer-index/",
        "/maintenance/",
        f"/maintenance/{notice.pk}/",
        "/newsletter/",
        "/privacy/",
    ]:
        assert SITE + path in entries, path
        assert client.get(path).status_code == 200, path
    assert entries[f"{SITE}/documents/insurer-index/"] is not None  # its newest version's change


def test_what_the_public_cannot_see_is_left_out(client, demo):
    DocumentSeries.objects.create(title="Not yet", slug="not-yet")
    draft = MaintenanceNotice.objects.first()
    draft.status = MaintenanceNotice.Status.DRAFT
    draft.save()
    NewsItem.objects.filter(slug="insurer-index-update-for-rta-a2a-users-v232").update(
        status=NewsItem.Status.DRAFT
    )
    entries = sitemap_entries(client)
    assert f"{SITE}/documents/not-yet/" not in entries
    assert f"{SITE}/maintenance/{draft.pk}/" not in entries
    assert f"{SITE}/news/2020/insurer-index-update-for-rta-a2a-users-v232/" not in entries
    assert f"{SITE}/documents/insurer-index/" in entries  # two versions are still public


def test_a_long_section_is_split_into_pages_that_the_index_lists(client, make_item, monkeypatch):
    monkeypatch.setattr(NewsItemSitemap, "limit", 2)
    items = [make_item(date=datetime.date(2020, 1, 1 + n)) for n in range(5)]
    index = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    assert [loc for loc in locations if "items" in loc] == [
        f"{SITE}/sitemap-items.xml",
        f"{SITE}/sitemap-items.xml?p=2",
        f"{SITE}/sitemap-items.xml?p=3",
    ]
    entries = sitemap_entries(client)
    assert all(SITE + item.get_absolute_url() in entries for item in items)


def test_addresses_come_from_site_url_not_the_request(client, make_item, settings):
    make_item()
    settings.SITE_URL = "https://news.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    response = client.get("/sitemap.xml", HTTP_HOST="attacker.example")
    locations = [
        loc.text for loc in ET.fromstring(response.content).findall("s:sitemap/s:loc", SITEMAP_NS)
    ]
    assert locations and all(loc.startswith("https://news.example.org/") for loc in locations)
    assert response["X-Robots-Tag"].startswith("noindex")
