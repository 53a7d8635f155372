"""Public functions other apps and the base layout use to read maintenance notices."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import surrogate_keys
from .models import MaintenanceNotice

BANNER_CACHE_KEY = "maintenance:banner-notices"
# The banner's notices are chosen by time in Python on every page, so this
# only bounds how long a missed invalidation could last.
BANNER_CACHE_SECONDS = 300


def _not_ended_notices():
    notices = cache.get(BANNER_CACHE_KEY)
    if notices is None:
        notices = list(
            MaintenanceNotice.objects.published()
            .filter(cancelled=False)
            .upcoming()
            .only(
                "title",
                "starts_at",
                "ends_at",
                "banner_from",
                "status",
                "cancelled",
                "web_portal",
                "a2a",
                "training_site",
            )
        )
        cache.set(BANNER_CACHE_KEY, notices, BANNER_CACHE_SECONDS)
    return notices


def banner_notices(now=None):
    """The notices the site-wide banner shows now, soonest first. No query on
    most pages: the few notices that have not ended are kept in the cache."""
    now = now or timezone.now()
    return [notice for notice in _not_ended_notices() if notice.shows_banner(now)]


def forget_banner_notices():
    transaction.on_commit(lambda: cache.delete(BANNER_CACHE_KEY))


def scheduled_changes(start, end):
    """(moment, surrogate keys) of each banner appearing or disappearing and
    each window starting or ending (which moves it on /maintenance/) in
    (start, end]: settings.PUBLIC_PAGE_CHANGE_TIMERS (common.page_cache)."""
    changes = []
    due = MaintenanceNotice.objects.published().filter(
        Q(banner_from__gt=start, banner_from__lte=end)
        | Q(starts_at__gt=start, starts_at__lte=end)
        | Q(ends_at__gt=start, ends_at__lte=end)
    )
    for notice in due.only("cancelled", "banner_from", "starts_at", "ends_at"):
        listed = {surrogate_keys.NOTICES, surrogate_keys.notice(notice.pk)}
        banner = set() if notice.cancelled else {surrogate_keys.BANNER}
        for moment, keys in [
            (notice.banner_from, banner), (notice.starts_at, listed | banner),
            (notice.ends_at, listed | banner),
        ]:
            if keys and start < moment <= end:
                changes.append((moment, keys))
    return changes


def announced_since(since, now=None):
    """Published, not cancelled windows still to come that were published or
    changed after `since`: what a digest should tell subscribers about."""
    return (
        MaintenanceNotice.objects.published()
        .filter(cancelled=False, updated_at__gt=since)
        .upcoming(now)
    )
