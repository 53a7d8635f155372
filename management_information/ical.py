"""/management-information/calendar.ics: the release calendar as RFC 5545
all-day events on each release's date, moved with it (SEQUENCE raised)."""

import datetime

import icalendar

from common import ical
from common.site_url import absolute_url

from .wording import date_note, publication_time


def event(release):
    url = absolute_url(release.get_absolute_url())
    day = release.release_date
    description = "\n\n".join(
        part for part in (
            f"The Claims Portal's management information for {release.month}, "
            f"published at {publication_time(release)}.",
            date_note(release),
            f"Details: {url}" if release.is_public else "",
        ) if part
    )
    vevent = icalendar.Event()
    vevent.add("uid", ical.uid("mi-release", release.pk))
    vevent.add("dtstamp", release.updated_at)
    vevent.add("last-modified", release.updated_at)
    vevent.add("created", release.created_at)
    vevent.add("dtstart", day)
    vevent.add("dtend", day + datetime.timedelta(days=1))
    vevent.add("summary", f"Management information: {release.month} figures")
    vevent.add("description", description)
    if release.is_public:
        vevent.add("url", url)
    vevent.add("sequence", release.sequence)
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "TRANSPARENT")  # the reader is not busy
    return vevent


def calendar(releases):
    """The calendar of `releases`, as bytes."""
    return ical.calendar("Management information releases",
                         (event(release) for release in releases))
