"""Canonical links, descriptions, Open Graph and Twitter tags, JSON-LD, breadcrumbs,
the categories index."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from news.models import Category, NewsItem

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"


def json_ld(html):
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return {data["@type"]: data for data in map(json.loads, found)}


def meta(html, attribute, name):
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)
    return match and match[1]


def test_item_page_carries_news_article_and_breadcrumbs(client, make_item):
    item = make_item(title="Insurer Index v232", summary="A new Insurer Index.", author="Jo Bloggs")
    html = client.get(item.get_absolute_url()).text
    url = f"{SITE}/news/2020/insurer-index-v232/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert meta(html, "name", "description") == "A new Insurer Index."
    assert meta(html, "property", "og:type") == "article"
    assert meta(html, "property", "og:title") == "Insurer Index v232"
    assert meta(html, "property", "og:url") == url
    assert meta(html, "name", "twitter:card") == "summary"
    data = json_ld(html)
    article = data["NewsArticle"]
    assert article["headline"] == "Insurer Index v232"
    assert article["datePublished"] == item.published_at.isoformat()
    assert article["dateModified"] >= article["datePublished"]
    assert article["publisher"]["name"] == "Claims Portal"
    assert article["author"] == [{"@type": "Person", "name": "Jo Bloggs"}]
    assert article["mainEntityOfPage"] == url
    # Google recommends an image on every article: the site's logo.
    assert article["image"] == [f"{SITE}/static/img/touch-icon.png"]
    trail = data["BreadcrumbList"]["itemListElement"]
    assert [(e["position"], e["name"]) for e in trail] == [
        (1, "Home"),
        (2, "News and updates"),
        (3, "2020"),
        (4, "Insurer Index v232"),
    ]
    assert trail[2]["item"] == f"{SITE}/news/2020/"
    assert html.count('class="breadcrumbs"') == 1 and 'href="/news/2020/">2020</a>' in html


def test_home_page_describes_the_site_and_its_publisher(client, make_item):
    make_item()
    data = json_ld(client.get("/").text)
    organisation, website = data["Organization"], data["WebSite"]
    assert organisation["@context"] == website["@context"] == "https://schema.org"
    assert organisation["name"] == website["name"] == "Claims Portal"
    assert organisation["url"] == website["url"] == f"{SITE}/"
    assert organisation["logo"]["url"] == f"{SITE}/static/img/touch-icon.png"
    assert website["publisher"] == {"@id": organisation["@id"]}
    assert website["inLanguage"] == "en-GB"
    # Other pages do not repeat it.
    assert "WebSite" not in json_ld(client.get("/news/2020/").text)


def test_a_scheduled_item_was_modified_no_earlier_than_published(client, make_item):
    """Published after its last save (scheduled): its modification time is
    its publication, in the JSON-LD and the Open Graph tags alike."""
    item = make_item()
    NewsItem.objects.filter(pk=item.pk).update(
        updated_at=item.published_at - datetime.timedelta(days=2)
    )
    html = client.get(item.get_absolute_url()).text
    published = item.published_at.isoformat()
    assert json_ld(html)["NewsArticle"]["dateModified"] == published
    modified = meta(html, "property", "article:modified_time")
    assert datetime.datetime.fromisoformat(modified) == item.published_at


def test_json_ld_cannot_end_its_script_element(client, make_item):
    item = make_item(title="</script><script>alert(1)</script> & <!--")
    html = client.get(item.get_absolute_url()).text
    assert "</script><script>alert(1)" not in html
    assert json_ld(html)["NewsArticle"]["headline"] == "</script><script>alert(1)</script> & <!--"


@pytest.mark.parametrize(
    "url, description, trail",
    [
        (
            "/news/2020/",
            "News and updates from Claims Portal in 2020.",
            ["Home", "News and updates", "2020"],
        ),
        (
            "/news/category/update/",
            "News about the Portal.",
            ["Home", "News and updates", "Categories", "Update"],
        ),
        (
            "/news/category/",
            "Browse Claims Portal news by category.",
            ["Home", "News and updates", "Categories"],
        ),
        ("/", "News, updates, documents and planned maintenance from the Claims Portal.", None),
    ],
)
def test_list_pages(client, make_item, category, url, description, trail):
    category.description = "News about the Portal."
    category.save()
    make_item()
    html = client.get(url).text
    assert f'<link rel="canonical" href="{SITE}{url}">' in html
    assert meta(html, "name", "description") == description
    assert meta(html, "property", "og:type") == "website"
    assert html.count('name="description"') == 1
    data = json_ld(html)
    if trail is None:
        assert "BreadcrumbList" not in data
    else:
        assert [e["name"] for e in data["BreadcrumbList"]["itemListElement"]] == trail


def test_canonical_drops_the_query_string_but_keeps_the_page(client, make_item):
    for n in range(55):
        make_item(title=f"Item {n}")
    html = client.get("/news/2020/?page=2&utm_source=x").text
    assert f'<link rel="canonical" href="{SITE}/news/2020/?page=2">' in html
    html = client.get("/news/2020/?utm_source=x").text
    assert f'<link rel="canonical" href="{SITE}/news/2020/">' in html


def test_previews_carry_no_article(admin_client, make_item):
    item = make_item(status=NewsItem.Status.DRAFT)
    html = admin_client.get(item.get_absolute_url()).text
    assert "NewsArticle" not in html and 'content="noindex, nofollow"' in html


def test_categories_index_lists_descriptions_and_counts(
    client, make_item, category, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE_TIMEOUT = 0
    other = Category.objects.create(
        name="Management info", slug="management-info", description="Monthly figures."
    )
    make_item()
    make_item()
    make_item(category=other)
    make_item(category=other, status=NewsItem.Status.DRAFT)
    client.get("/news/category/")
    with django_assert_max_num_queries(3):
        html = client.get("/news/category/").text
    assert 'href="/news/category/update/">Update</a>' in html and "2 items" in html
    assert "Monthly figures." in html and "1 item ·" in html
    assert 'href="/news/category/"' in client.get("/news/").text


def test_categories_index_counts_what_the_public_sees(client, make_item, category):
    """Expired and scheduled items are not counted: the one rule, published()."""
    make_item()
    make_item(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    make_item(published_at=timezone.now() + datetime.timedelta(days=1))
    categories = client.get("/news/category/").context["categories"]
    assert [(c.slug, c.count) for c in categories] == [("update", 1)]


def test_favicon_and_touch_icon(client, make_item):
    html = client.get("/").text
    assert 'rel="apple-touch-icon" href="/static/img/touch-icon.png"' in html
    assert 'rel="icon" href="/static/img/favicon.ico"' in html
    assert client.get("/favicon.ico").status_code in (301, 302)
