"""Public functions other apps and settings use to read releases."""

from django.utils import timezone

from .models import Release


def seconds_until_next_release():
    """Seconds until the next release in the calendar is due: a scheduled one
    becomes public, an announced one not published by then shows as delayed.
    None if none is due (in settings.PUBLIC_PAGE_CHANGE_TIMERS: no cached
    page outlives that moment)."""
    now = timezone.now()
    moment = (
        Release.objects.in_calendar().filter(published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return None if moment is None else (moment - now).total_seconds()


def published_between(since, until):
    """Releases that became public after `since` and up to `until`, oldest first."""
    return (
        Release.objects.published()
        .filter(published_at__gt=since, published_at__lte=until)
        .order_by("published_at", "period")
    )
