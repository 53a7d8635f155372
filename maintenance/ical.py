"""/maintenance.ics: the published windows as an RFC 5545 calendar that
Outlook and Google Calendar can subscribe to."""

import icalendar

from common import ical
from common.site_url import absolute_url

from .wording import unavailability


def uid(notice):
    """Stable for the notice's whole life, whatever is edited."""
    return ical.uid("maintenance", notice.pk)


def event(notice):
    url = absolute_url(notice.get_absolute_url())
    description = "\n\n".join(
        part
        for part in (
            unavailability(notice),
            notice.description,
            f"Details: {url}",
        )
        if part
    )
    vevent = icalendar.Event()
    vevent.add("uid", uid(notice))
    vevent.add("dtstamp", notice.updated_at)
    vevent.add("last-modified", notice.updated_at)
    vevent.add("created", notice.created_at)
    # Times in UTC: correct in every calendar without a VTIMEZONE.
    vevent.add("dtstart", notice.starts_at)
    vevent.add("dtend", notice.ends_at)
    vevent.add("summary", ("Cancelled: " if notice.cancelled else "") + notice.title)
    vevent.add("description", description)
    vevent.add("url", url)
    vevent.add("sequence", notice.sequence)
    vevent.add("status", "CANCELLED" if notice.cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT")  # the reader is not busy
    return vevent


def calendar(notices):
    """The calendar of `notices`, as bytes."""
    return ical.calendar("Planned maintenance", (event(notice) for notice in notices))
