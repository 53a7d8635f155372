"""Releases in the newsletter's digests (settings.NEWSLETTER_DIGEST_EXTRA_SECTIONS)."""

import datetime

from django.conf import settings

from common.site_url import absolute_url

from .selectors import published_between


def new_releases(digest):
    """A "Management information" section: the releases that became public in
    the period the digest covers. "category" names the news category whose
    subscribers want it (settings.MANAGEMENT_INFORMATION_CATEGORY)."""
    since = digest.since or (digest.until - datetime.timedelta(days=31))
    items = []
    for release in published_between(since, digest.until):
        measures = release.report.measures
        text = f"The {release.month} figures, published {release.published_on}"
        if measures:
            first = measures[0]
            change = first.month_change
            text += f": {first.measure.name} {first.value_text}"
            text += f" ({change} on the month before)" if change else ""
        items.append({
            "title": release.title,
            "url": absolute_url(release.get_absolute_url()),
            "text": text + ". Charts, tables and downloads for every measure.",
        })
    return [{
        "title": "Management information",
        "category": settings.MANAGEMENT_INFORMATION_CATEGORY,
        "items": items,
    }]
