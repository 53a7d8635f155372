"""Maintenance in the newsletter's digests (settings.NEWSLETTER_DIGEST_EXTRA_SECTIONS)."""

import datetime

from common.site_url import absolute_url

from .selectors import announced_since
from .wording import unavailability


def upcoming_maintenance(digest):
    """A "Planned maintenance" section: the windows still to come that were
    published or changed during the period the digest covers, which its
    subscribers have not been told about yet."""
    since = digest.since or (digest.until - datetime.timedelta(days=31))
    notices = announced_since(since).filter(updated_at__lte=digest.until)
    items = [
        {
            "title": notice.title,
            "url": absolute_url(notice.get_absolute_url()),
            "text": unavailability(notice, uk_time=False),
        }
        for notice in notices
    ]
    return [{"title": "Planned maintenance", "items": items}]
