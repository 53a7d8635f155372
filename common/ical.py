"""RFC 5545 calendars that Outlook, Google and Apple Calendar can subscribe to
(the maintenance windows, the management-information release calendar)."""

from urllib.parse import urlsplit

import icalendar
from django.conf import settings

# How often subscribed calendars should fetch the feed again.
REFRESH_INTERVAL = "PT1H"


def uid(kind, pk):
    """An event's UID: stable for the object's whole life, whatever is edited."""
    return f"{kind}-{pk}@{urlsplit(settings.SITE_URL).hostname}"


def calendar(name, events):
    """A calendar called `name` (after the site's) holding `events`
    (icalendar.Event), as bytes."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{settings.SITE_NAME}//{name}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{settings.SITE_NAME} {name.lower()}")
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add(
        "refresh-interval",
        icalendar.vDuration.from_ical(REFRESH_INTERVAL),
        parameters={"VALUE": "DURATION"},
    )
    cal.add("x-published-ttl", REFRESH_INTERVAL)
    for event in events:
        cal.add_component(event)
    return cal.to_ical()
