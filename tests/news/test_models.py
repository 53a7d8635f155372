import datetime

import pytest
from django.utils import timezone

from common.sanitize import clean_html
from news.models import NewsItem, OldAddress
from tests.helpers import at

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 3, 1, 9, 0))


class TestPublished:
    def test_drafts_are_hidden(self, make_item):
        make_item(status=NewsItem.Status.DRAFT)
        assert not NewsItem.objects.published().exists()

    def test_scheduled_item_appears_exactly_at_its_time(self, make_item):
        item = make_item(published_at=NOW)
        with at(NOW - datetime.timedelta(microseconds=1)):
            assert list(NewsItem.objects.published()) == []
        with at(NOW):
            assert list(NewsItem.objects.published()) == [item]
        with at(NOW + datetime.timedelta(days=1)):
            assert list(NewsItem.objects.published()) == [item]

    def test_unpublished_item_with_a_past_time_stays_hidden(self, make_item):
        make_item(status=NewsItem.Status.DRAFT, published_at=NOW - datetime.timedelta(days=9))
        with at(NOW):
            assert NewsItem.objects.published().count() == 0


class TestArchiveYearAndSlug:
    def test_archive_year_defaults_to_the_year_of_the_date(self, make_item):
        assert make_item(date=datetime.date(2019, 12, 31)).archive_year == 2019

    def test_editor_may_set_the_archive_year(self, make_item):
        item = make_item(date=datetime.date(2021, 1, 15), archive_year=2020)
        assert item.archive_year == 2020
        assert item.get_absolute_url() == f"/news/2020/{item.slug}/"

    def test_slug_is_made_from_the_title_and_unique_within_a_year(self, make_item):
        first = make_item(title="Scheduled Maintenance Notice")
        second = make_item(title="Scheduled Maintenance Notice")
        other_year = make_item(title="Scheduled Maintenance Notice", date=datetime.date(2021, 1, 1))
        assert first.slug == "scheduled-maintenance-notice"
        assert second.slug == "scheduled-maintenance-notice-2"
        assert other_year.slug == "scheduled-maintenance-notice"

    def test_an_edited_slug_is_kept(self, make_item):
        assert make_item(title="Long title", slug="short").slug == "short"

    def test_same_date_items_keep_the_editors_order(self, make_item):
        date = datetime.date(2020, 11, 11)
        second = make_item(title="Second", date=date, position=1)
        first = make_item(title="First", date=date, position=0)
        newer = make_item(title="Newer", date=datetime.date(2020, 11, 12), position=5)
        assert list(NewsItem.objects.all()) == [newer, first, second]

    def test_changing_slug_or_year_remembers_the_old_address(self, make_item):
        item = make_item(title="Old title")
        item.slug = "new-title"
        item.save()
        item.archive_year = 2021
        item.save()
        old = set(OldAddress.objects.filter(item=item).values_list("archive_year", "slug"))
        assert old == {(2020, "old-title"), (2020, "new-title")}

    def test_returning_to_an_old_address_drops_its_redirect(self, make_item):
        item = make_item(title="Original")
        item.slug = "renamed"
        item.save()
        item.slug = "original"
        item.save()
        assert list(OldAddress.objects.values_list("slug", flat=True)) == ["renamed"]


class TestBodyCleaning:
    @pytest.mark.parametrize(
        "dirty, forbidden",
        [
            ('<p>Hi</p><script>alert(1)</script>', "<script"),
            ('<img src="x.png" onerror="alert(1)">', "onerror"),
            ('<a href="javascript:alert(1)">x</a>', "javascript:"),
            ('<p style="color:red" onclick="x()">Hi</p>', "onclick"),
            ('<iframe src="https://example.com"></iframe>', "<iframe"),
            ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ],
    )
    def test_dangerous_html_is_removed_on_save(self, make_item, dirty, forbidden):
        item = make_item(body=dirty)
        item.refresh_from_db()
        assert forbidden.lower() not in item.body.lower()

    def test_what_the_toolbar_makes_survives(self):
        html = (
            "<h2>Heading</h2><p><strong>Bold</strong> <em>it</em> "
            '<a href="https://www.claimsportal.org.uk/">link</a></p>'
            "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>q</p></blockquote>"
            '<figure class="table"><table><tbody><tr><td>cell</td></tr></tbody></table></figure>'
            '<figure class="image"><img src="/media/editor/a.png" alt="Chart"></figure>'
        )
        cleaned = clean_html(html)
        for fragment in ["<h2>", "<strong>", "<em>", "<ul>", "<ol>", "<blockquote>", "<table>",
                         'class="table"', 'alt="Chart"', 'href="https://www.claimsportal.org.uk/"']:
            assert fragment in cleaned
        assert 'rel="noopener noreferrer"' in cleaned


def test_neighbours_follow_the_site_order_across_shared_dates(make_item):
    day = datetime.date(2020, 11, 11)
    oldest = make_item(title="Oldest", date=datetime.date(2020, 11, 6))
    second_of_day = make_item(title="A2A Users", date=day, position=1)
    first_of_day = make_item(title="All Users", date=day, position=0)
    newest = make_item(title="Newest", date=datetime.date(2020, 11, 17))
    make_item(title="Draft", date=day, position=2, status=NewsItem.Status.DRAFT)
    order = [newest, first_of_day, second_of_day, oldest]
    assert list(NewsItem.objects.published()) == order
    published = NewsItem.objects.published()
    for index, item in enumerate(order):
        newer = order[index - 1] if index > 0 else None
        older = order[index + 1] if index + 1 < len(order) else None
        assert published.neighbours(item) == (older, newer), item.title
