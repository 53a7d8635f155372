import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from news.models import NewsItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(make_item):
    return make_item(title="Scheduled Maintenance Notice", date=datetime.date(2020, 9, 14))


class TestPublicPages:
    @pytest.mark.parametrize(
        "url",
        [
            "/",
            "/news/",
            "/news/2020/",
            "/news/2020/scheduled-maintenance-notice/",
            "/news/category/update/",
            "/news/search/",
            "/news/search/?q=maintenance",
            "/news/feed/",
            "/news/feed/atom/",
            "/news/category/update/feed/",
            "/news/category/update/feed/atom/",
            "/sitemap.xml",
            "/robots.txt",
            "/healthz/",
        ],
    )
    def test_answers_200(self, client, item, url):
        assert client.get(url).status_code == 200

    def test_item_page_shows_title_date_category_body_and_neighbours(self, client, make_item, item):
        older = make_item(title="Older", date=datetime.date(2020, 9, 1))
        newer = make_item(title="Newer", date=datetime.date(2020, 10, 1))
        response = client.get(item.get_absolute_url())
        assert "<h1>Scheduled Maintenance Notice</h1>" in response.text
        assert "14/09/2020" in response.text
        assert ">Update</a>" in response.text
        assert item.body in response.text
        assert f'href="{older.get_absolute_url()}" rel="prev"' in response.text
        assert f'href="{newer.get_absolute_url()}" rel="next"' in response.text

    def test_read_more_links_name_their_item(self, client, item):
        response = client.get("/news/2020/")
        assert (
            'Read more<span class="visually-hidden"> about Scheduled Maintenance Notice</span>'
            in response.text
        )

    def test_news_index_lists_years_with_counts(self, client, make_item):
        make_item(date=datetime.date(2020, 1, 1))
        make_item(date=datetime.date(2020, 2, 1))
        make_item(date=datetime.date(2019, 2, 1))
        make_item(date=datetime.date(2018, 2, 1), status=NewsItem.Status.DRAFT)
        response = client.get("/news/")
        assert response.context["view"].years == [(2020, 2), (2019, 1)]
        assert "News and updates 2019</a> (1 item)" in response.text

    def test_pages_carry_the_newsletter_banner_and_cookie_link(self, client, item):
        text = client.get("/").text
        assert "Sign up now</a>" in text and 'href="/newsletter/' in text
        assert '<a href="/cookies/">Change Cookie Choices</a>' in text

    def test_feed_autodiscovery_links_in_the_head(self, client, item):
        text = client.get("/news/category/update/").text
        head = text.split("</head>")[0]
        assert 'type="application/rss+xml"' in head and 'href="/news/feed/"' in head
        assert 'href="/news/category/update/feed/"' in head

    def test_public_pages_send_a_content_security_policy(self, client, item):
        policy = client.get("/news/2020/")["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    def test_document_is_listed_with_type_and_size(self, client, item):
        from django.core.files.base import ContentFile

        item.documents.create(
            title="Insurer Index v232", file=ContentFile(b"PK\x03\x04" + b"x" * 49_000, "ii.xlsx")
        )
        text = client.get(item.get_absolute_url()).text
        assert ">Insurer Index v232</a>" in text
        assert "MS Excel Spreadsheet</span>, <span class=\"attachment__attribute\">48 KB" in text
        assert "in an accessible format" in text


class TestBadInput:
    @pytest.mark.parametrize(
        "url",
        [
            "/news/abcd/",
            "/news/0/",
            "/news/99999/",
            "/news/99999999999999999999999/",
            "/news/2019/",
            "/news/2020/no-such-item/",
            "/news/category/no-such-category/",
            "/news/category/no-such-category/feed/",
            "/news/2020/?page=-1",
            "/news/2020/?page=x",
            "/news/2020/?page=999",
            "/news/category/update/?page=0",
        ],
    )
    def test_unknown_addresses_get_404(self, client, item, url):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.text

    @pytest.mark.parametrize("query", ["a" * 10_000, "abc\x00def", "\x00\x01\x02"])
    def test_bad_search_gets_a_clear_400(self, client, item, query):
        response = client.get("/news/search/", {"q": query})
        assert response.status_code == 400
        assert "There is a problem" in response.text

    def test_odd_characters_in_search_are_just_searched(self, client, item):
        for query in ["'; DROP TABLE news_newsitem; --", "a & b | !c", "“quotes”", "€"]:
            assert client.get("/news/search/", {"q": query}).status_code == 200
        assert NewsItem.objects.count() == 1


class TestSearch:
    def test_finds_by_title_summary_and_body(self, client, make_item):
        make_item(title="Scheduled Maintenance Notice")
        make_item(title="Other", summary="About the helpdesk.")
        make_item(title="Third", body="<p>Insurer index spreadsheet</p>")
        make_item(title="Hidden maintenance", status=NewsItem.Status.DRAFT)
        titles = lambda q: [i.title for i in client.get("/news/search/", {"q": q}).context["items"]]  # noqa: E731
        assert titles("maintenance") == ["Scheduled Maintenance Notice"]
        assert titles("helpdesk") == ["Other"]
        assert titles("spreadsheet") == ["Third"]
        assert titles("nothing-like-this") == []


class TestRedirects:
    @pytest.mark.parametrize(
        "old_url",
        [
            "/news/news-and-updates-2020/scheduled-maintenance-notice/",
            "/news-and-updates/news-and-updates-2020/scheduled-maintenance-notice/",
            "/news-and-updates/2020/scheduled-maintenance-notice/",
        ],
    )
    def test_old_schemes_redirect_permanently(self, client, item, old_url):
        response = client.get(old_url)
        assert response.status_code == 301
        assert response["Location"] == "/news/2020/scheduled-maintenance-notice/"

    @pytest.mark.parametrize(
        "old_url",
        [
            "/news/news-and-updates-2020/",
            "/news-and-updates/news-and-updates-2020/",
            "/news-and-updates/2020/",
        ],
    )
    def test_old_year_pages_redirect_permanently(self, client, item, old_url):
        response = client.get(old_url)
        assert (response.status_code, response["Location"]) == (301, "/news/2020/")

    @pytest.mark.parametrize(
        "old_url",
        [
            "/news/news-and-updates-2020/no-such-item/",
            "/news-and-updates/news-and-updates-2020/no-such-item/",
            "/news-and-updates/2020/no-such-item/",
            "/news/news-and-updates-2019/",
            "/news-and-updates/news-and-updates-2019/",
            "/news-and-updates/2019/",
            "/news-and-updates/99999999999999999999/",
        ],
    )
    def test_unknown_old_addresses_answer_404_themselves(self, client, item, old_url):
        response = client.get(old_url)
        assert response.status_code == 404 and "Location" not in response
        assert "Page not found" in response.text

    def test_old_address_of_a_moved_item_leads_straight_to_its_new_one(self, client, item):
        item.slug = "maintenance"
        item.archive_year = 2021
        item.save()
        response = client.get("/news-and-updates/2020/scheduled-maintenance-notice/")
        assert (response.status_code, response["Location"]) == (301, "/news/2021/maintenance/")

    def test_old_scheme_of_a_draft_is_not_revealed(self, client, item):
        item.status = NewsItem.Status.DRAFT
        item.save()
        assert client.get("/news-and-updates/2020/scheduled-maintenance-notice/").status_code == 404
        assert client.get("/news-and-updates/2020/").status_code == 404

    def test_changed_slug_and_year_keep_old_urls(self, client, item):
        item.slug = "maintenance"
        item.archive_year = 2021
        item.save()
        for old in ["/news/2020/scheduled-maintenance-notice/"]:
            response = client.get(old)
            assert (response.status_code, response["Location"]) == (301, "/news/2021/maintenance/")
        assert client.get("/news/2021/maintenance/").status_code == 200

    def test_old_address_of_a_draft_is_not_revealed(self, client, item):
        item.slug = "renamed"
        item.status = NewsItem.Status.DRAFT
        item.save()
        assert client.get("/news/2020/scheduled-maintenance-notice/").status_code == 404


class TestPreview:
    @pytest.fixture
    def draft(self, make_item):
        return make_item(title="Draft item", status=NewsItem.Status.DRAFT)

    @pytest.fixture
    def scheduled(self, make_item):
        return make_item(title="Future", published_at=timezone.now() + datetime.timedelta(days=2))

    def staff(self, *codenames):
        user = User.objects.create_user("editor", password="x", is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
        return user

    def test_public_gets_404_for_drafts_and_future_items(self, client, draft, scheduled):
        assert client.get(draft.get_absolute_url()).status_code == 404
        assert client.get(scheduled.get_absolute_url()).status_code == 404
        assert "Draft item" not in client.get("/news/2020/").text

    def test_staff_without_permission_gets_404(self, client, draft):
        client.force_login(self.staff())
        assert client.get(draft.get_absolute_url()).status_code == 404

    def test_staff_with_permission_previews_noindex_and_uncached(self, client, draft, scheduled):
        client.force_login(self.staff("view_newsitem"))
        for item in (draft, scheduled):
            response = client.get(item.get_absolute_url())
            assert response.status_code == 200
            assert '<meta name="robots" content="noindex, nofollow">' in response.text
            assert response["X-Robots-Tag"] == "noindex, nofollow"
            assert "no-store" in response["Cache-Control"]
            assert "Preview." in response.text
        client.logout()
        assert client.get(draft.get_absolute_url()).status_code == 404


def max_age(response, directive):
    return int(response["Cache-Control"].split(f"{directive}=")[1].split(",")[0])


class TestPageCache:
    def test_second_visit_is_served_from_cache_and_saving_invalidates(
        self, client, item, django_capture_on_commit_callbacks
    ):
        assert client.get("/news/2020/")["X-Page-Cache"] == "miss"
        assert client.get("/news/2020/")["X-Page-Cache"] == "hit"
        with django_capture_on_commit_callbacks(execute=True):
            item.title = "Changed title"
            item.save()
        response = client.get("/news/2020/")
        assert response["X-Page-Cache"] == "miss"
        assert "Changed title" in response.text

    def test_scheduled_item_appears_on_cached_pages_at_its_time(
        self, client, make_item, clock_cache
    ):
        import time_machine

        now = timezone.now()
        make_item(title="Already out")
        make_item(title="Older news", date=datetime.date(2019, 6, 1))
        make_item(title="Goes live soon", published_at=now + datetime.timedelta(minutes=5))
        with time_machine.travel(now, tick=False):
            first = client.get("/news/2020/")
            other = client.get("/news/2019/")
        assert "Goes live soon" not in first.text
        # No cache keeps a page the scheduled item changes past its moment …
        assert 299 <= max_age(first, "s-maxage") <= 300
        # … and the pages it does not change keep their full lifetime.
        assert max_age(other, "s-maxage") == 600
        later = now + datetime.timedelta(minutes=5, seconds=1)
        with time_machine.travel(later, tick=False):
            response = client.get("/news/2020/")
            assert client.get("/news/2019/")["X-Page-Cache"] == "hit"
        assert response["X-Page-Cache"] == "miss"
        assert "Goes live soon" in response.text

    def test_saving_one_item_leaves_unrelated_pages_cached(
        self, client, make_item, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            edited = make_item(title="Edited item")
            make_item(title="Elsewhere", date=datetime.date(2019, 3, 1))
        pages = ["/news/2020/", edited.get_absolute_url(), "/news/2019/", "/robots.txt"]
        for url in pages:
            assert client.get(url)["X-Page-Cache"] == "miss", url
        with django_capture_on_commit_callbacks(execute=True):
            edited.summary = "A new summary."
            edited.save()
        after = {url: client.get(url) for url in pages}
        assert "A new summary." in after["/news/2020/"].text
        assert [after[url]["X-Page-Cache"] for url in pages] == ["miss", "miss", "hit", "hit"]

    def test_conditional_get_answers_304(self, client, item):
        first = client.get("/news/2020/")
        second = client.get("/news/2020/", headers={"If-None-Match": first["ETag"]})
        assert second.status_code == 304

    def test_logged_in_staff_are_never_served_cached_pages(self, admin_client, client, item):
        client.get("/news/2020/")
        assert "X-Page-Cache" not in admin_client.get("/news/2020/")
