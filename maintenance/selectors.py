"""Public functions other apps and the base layout use to read maintenance notices."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

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


def seconds_until_next_change():
    """Seconds until a banner appears or disappears, or a window starts or ends
    (which moves it on /maintenance/), or None: in settings.PUBLIC_PAGE_CHANGE_TIMERS."""
    now = timezone.now()
    moments = MaintenanceNotice.objects.published().aggregate(
        banner=Min("banner_from", filter=Q(banner_from__gt=now, cancelled=False)),
        start=Min("starts_at", filter=Q(starts_at__gt=now)),
        end=Min("ends_at", filter=Q(ends_at__gt=now)),
    )
    future = [moment for moment in moments.values() if moment is not None]
    return (min(future) - now).total_seconds() if future else None


def announced_since(since, now=None):
    """Published, not cancelled windows still to come that were published or
    changed after `since`: what a digest should tell subscribers about."""
    return (
        MaintenanceNotice.objects.published()
        .filter(cancelled=False, updated_at__gt=since)
        .upcoming(now)
    )
