"""The release calendar's iCalendar feed, the page cache timer, and the demo releases."""

import datetime

import icalendar
import pytest
from django.core.management import call_command

from management_information import surrogate_keys
from management_information.models import Figure, Release
from management_information.selectors import scheduled_changes
from news.models import NewsItem
from tests.helpers import at, london

pytestmark = pytest.mark.django_db


def events(client):
    response = client.get("/management-information/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["X-WR-CALNAME"] == "Claims Portal management information releases"
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_has_every_announced_and_published_release_on_its_day(
    client, make_release, measures, django_capture_on_commit_callbacks
):
    make_release(datetime.date(2026, 10, 1), {measures[0]: 1})
    moved = make_release(datetime.date(2026, 11, 1), announced_date=datetime.date(2026, 12, 15),
                         published_at=london(2026, 12, 17, 9, 30),
                         date_change_reason="Late data.")
    make_release(datetime.date(2026, 12, 1), status=Release.Status.DRAFT, announced=True)
    make_release(datetime.date(2027, 1, 1), status=Release.Status.DRAFT)  # not announced
    with at(london(2026, 12, 1)):
        found = events(client)
    assert sorted(found) == [
        "Management information: December 2026 figures",
        "Management information: November 2026 figures",
        "Management information: October 2026 figures",
    ]
    event = found["Management information: November 2026 figures"]
    assert event.decoded("DTSTART") == datetime.date(2026, 12, 17)
    assert event.decoded("DTEND") == datetime.date(2026, 12, 18)
    assert "Moved from 15/12/2026 to 17/12/2026: Late data." in str(event["DESCRIPTION"])
    assert "published at 9:30am on 17/12/2026" in str(event["DESCRIPTION"])
    assert "URL" not in event  # not public yet
    assert str(event["UID"]) == f"mi-release-{moved.pk}@127.0.0.1"
    assert "URL" in found["Management information: October 2026 figures"]
    # A move is a new SEQUENCE of the same UID: calendars replace their copy.
    sequence = int(event["SEQUENCE"])
    moved.published_at = london(2026, 12, 18, 9, 30)
    with django_capture_on_commit_callbacks(execute=True):  # the cached feed ends
        moved.save()
    with at(london(2026, 12, 1)):
        event = events(client)["Management information: November 2026 figures"]
    assert int(event["SEQUENCE"]) == sequence + 1
    assert event.decoded("DTSTART") == datetime.date(2026, 12, 18)


def test_cached_pages_end_when_the_next_release_is_due(make_release, measures):
    make_release(datetime.date(2026, 11, 1), {measures[0]: 1})  # 15/12/2026 9:30
    make_release(datetime.date(2026, 12, 1), status=Release.Status.DRAFT)  # drafts do not count
    # An announced one does: past its time it shows as delayed.
    make_release(datetime.date(2027, 1, 1), status=Release.Status.DRAFT, announced=True)
    hour = datetime.timedelta(hours=1)
    start = london(2026, 12, 15, 9, 0)
    assert scheduled_changes(start, start + hour) == [
        (london(2026, 12, 15, 9, 30), surrogate_keys.changed_by_save())
    ]
    start = london(2027, 2, 15, 9, 0)
    assert [moment for moment, _ in scheduled_changes(start, start + hour)] == [
        london(2027, 2, 15, 9, 30)
    ]
    start = london(2027, 2, 15, 9, 30)
    assert scheduled_changes(start, start + hour) == []


def test_the_calendar_page_is_kept_no_longer_than_until_the_release(
    client, make_release, measures
):
    make_release(datetime.date(2026, 11, 1), {measures[0]: 1})  # 15/12/2026 9:30
    with at(london(2026, 12, 15, 9, 20)):
        response = client.get("/management-information/calendar/")
    assert "s-maxage=600" in response["Cache-Control"]
    assert surrogate_keys.PAGES in response["Surrogate-Key"].split()
    with at(london(2026, 12, 15, 9, 25)):
        response = client.get("/management-information/calendar/")
    assert "s-maxage=300" in response["Cache-Control"]


def test_the_demo_gives_each_2020_mi_item_a_release_with_illustrative_figures(client):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    releases = list(Release.objects.order_by("period"))
    assert [release.month for release in releases] == [
        f"{month} 2020" for month in ("February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November",
                                      "December")
    ]
    assert all(release.illustrative and release.is_public for release in releases)
    december = releases[-1]
    assert december.announcement.title == (
        "Executive Dashboard Management Information Now Available - December 2020"
    )
    assert december.release_date == datetime.date(2021, 1, 15)
    assert releases[4].date_note.startswith("Moved from 15/07/2020 to 24/07/2020")
    page = client.get("/management-information/").content.decode()
    assert "Management information: December 2020" in page and "Illustrative figures." in page
    # Loading again changes nothing.
    figures = list(Figure.objects.order_by("pk").values_list("pk", "value"))
    stamps = list(Release.objects.order_by("pk").values_list("updated_at", "sequence"))
    items = NewsItem.objects.count()
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    assert list(Figure.objects.order_by("pk").values_list("pk", "value")) == figures
    assert list(Release.objects.order_by("pk").values_list("updated_at", "sequence")) == stamps
    assert NewsItem.objects.count() == items
