"""/maintenance.ics parsed back with icalendar, and the /maintenance/ pages."""

import datetime

import icalendar
import pytest
from django.core.management import call_command

from maintenance.models import MaintenanceNotice
from tests.helpers import at, london

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def events(client):
    response = client.get("/maintenance.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_seed_windows_in_utc(client):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    found = events(client)
    assert len(found) == 4
    expected = {
        "SSL certificate update": ((2020, 3, 24, 8, 0), (2020, 3, 24, 8, 30)),  # GMT
        "Extraordinary maintenance": ((2020, 7, 4, 2, 0), (2020, 7, 4, 4, 0)),  # BST
        "Stage 2 Settlement Pack negotiation changes": ((2020, 7, 19, 7), (2020, 7, 19, 13)),
        # 9pm BST to 7:30am GMT: the clocks go back in between.
        "Scheduled overnight maintenance": ((2020, 10, 24, 20, 0), (2020, 10, 25, 7, 30)),
    }
    for summary, (start, end) in expected.items():
        event = found[summary]
        assert event.decoded("DTSTART") == datetime.datetime(*start, tzinfo=UTC), summary
        assert event.decoded("DTEND") == datetime.datetime(*end, tzinfo=UTC), summary
        assert event["STATUS"] == "CONFIRMED"
    october = found["Scheduled overnight maintenance"]
    assert october.decoded("DTEND") - october.decoded("DTSTART") == datetime.timedelta(
        hours=11, minutes=30
    )
    assert "from 9pm on Saturday 24 October 2020 to 7:30am on Sunday 25 October 2020" in str(
        october["DESCRIPTION"]
    ).replace("\n", " ")


def test_uid_stable_sequence_raised_and_cancelled(
    client, make_notice, django_capture_on_commit_callbacks
):
    notice = make_notice()
    (first,) = events(client).values()
    with django_capture_on_commit_callbacks(execute=True):  # ends the cached feed
        notice.title = "Overnight maintenance (moved)"
        notice.starts_at = london(2020, 10, 24, 22, 0)
        notice.save()
        notice.cancelled = True
        notice.save()
    (last,) = events(client).values()
    assert last["UID"] == first["UID"]
    assert first["SEQUENCE"] == 0 and last["SEQUENCE"] == 2
    assert last["STATUS"] == "CANCELLED"
    assert last["URL"] == f"http://127.0.0.1:8000/maintenance/{notice.pk}/"
    assert last.decoded("DTSTART") == datetime.datetime(2020, 10, 24, 21, 0, tzinfo=UTC)


def test_drafts_are_left_out(client, make_notice):
    make_notice(status=MaintenanceNotice.Status.DRAFT)
    assert events(client) == {}
    assert client.get("/maintenance/").status_code == 200


def test_list_page_upcoming_and_past(client, make_notice):
    past = make_notice(title="Done", starts_at=london(2020, 7, 4, 3), ends_at=london(2020, 7, 4, 5))
    coming = make_notice(title="Coming", cancelled=True)
    with at(london(2020, 10, 1, 12)):
        page = client.get("/maintenance/").text
    upcoming, _, earlier = page.partition('id="past-heading"')
    assert "Coming" in upcoming and "Cancelled" in upcoming
    assert "Done" in earlier and "from 3am to 5am on Saturday 4 July 2020" in earlier
    detail = client.get(coming.get_absolute_url())
    assert "This maintenance has been cancelled" in detail.text
    assert client.get(past.get_absolute_url()).status_code == 200


def test_draft_notice_page_is_404(client, make_notice):
    notice = make_notice(status=MaintenanceNotice.Status.DRAFT)
    assert client.get(notice.get_absolute_url()).status_code == 404


def test_pages_query_counts(client, make_notice, django_assert_max_num_queries, settings):
    settings.PAGE_CACHE_TIMEOUT = 0
    for n in range(10):
        make_notice(title=f"Window {n}")
    client.get("/maintenance/")
    with django_assert_max_num_queries(4):
        assert client.get("/maintenance/").status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get("/maintenance.ics").status_code == 200


def test_demo_notices_are_linked_to_their_items_and_idempotent():
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    notices = MaintenanceNotice.objects.all()
    assert notices.count() == 4
    assert all(notice.item is not None for notice in notices)
    assert all(notice.sequence == 0 for notice in notices)

