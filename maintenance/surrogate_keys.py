"""The surrogate keys of maintenance notices (common.page_cache).

| key | on the pages that show |
|---|---|
| `maintenance-banner` | the site-wide banner: every page of the base layout |
| `maintenance-notices` | every notice: /maintenance/ and /maintenance.ics |
| `maintenance-notice-<id>` | one notice's page |
"""

import datetime

from django.conf import settings
from django.utils import timezone

from common.page_cache import NOT_FOUND_KEY

BANNER = "maintenance-banner"
NOTICES = "maintenance-notices"


def notice(pk):
    return f"maintenance-notice-{pk}"


FIELDS = ("pk", "status", "cancelled", "banner_from", "ends_at")


def snapshot(instance):
    return {field: getattr(instance, field) for field in FIELDS}


def _may_show_banner(state):
    """Whether the notice is on the banner now, or will be before any page
    cached now has expired (pages cached now would outlive its moment)."""
    from .models import MaintenanceNotice

    now = timezone.now()
    soon = now + datetime.timedelta(
        seconds=max(settings.PAGE_CACHE_TIMEOUT, settings.PUBLIC_PAGE_SHARED_MAX_AGE)
    )
    return (
        state["status"] == MaintenanceNotice.Status.PUBLISHED
        and not state["cancelled"]
        and state["banner_from"] <= soon
        and state["ends_at"] > now
    )


def changed_by_save(before, after):
    """The keys a save changes, from the notice's state before and after it (or None)."""
    current = after or before
    keys = {notice(current["pk"]), NOTICES, NOT_FOUND_KEY}
    if any(state is not None and _may_show_banner(state) for state in (before, after)):
        keys.add(BANNER)
    return keys
