"""/maintenance.ics: the published windows as an RFC 5545 calendar that
Outlook and Google Calendar can subscribe to."""

from urllib.parse import urlsplit

import icalendar
from django.conf import settings

from common.site_url import absolute_url

from .wording import unavailability

# How often subscribed calendars should fetch the feed again.
REFRESH_INTERVAL = "PT1H"


def uid(notice):
    """Stable for the notice's whole life, whatever is edited."""
    return f"maintenance-{notice.pk}@{urlsplit(settings.SITE_URL).hostname}"


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
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{settings.SITE_NAME}//Planned maintenance//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{settings.SITE_NAME} planned maintenance")
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add(
        "refresh-interval",
        icalendar.vDuration.from_ical(REFRESH_INTERVAL),
        parameters={"VALUE": "DURATION"},
    )
    cal.add("x-published-ttl", REFRESH_INTERVAL)
    for notice in notices:
        cal.add_component(event(notice))
    return cal.to_ical()
