"""Public functions other apps and settings use to read releases."""


from . import surrogate_keys
from .models import Release


def scheduled_changes(start, end):
    """(moment, surrogate keys) of each release in the calendar due in (start,
    end]: a scheduled one becomes public, an announced one not published by
    then shows as delayed (settings.PUBLIC_PAGE_CHANGE_TIMERS, common.page_cache)."""
    moments = (
        Release.objects.in_calendar()
        .filter(published_at__gt=start, published_at__lte=end)
        .values_list("published_at", flat=True)
    )
    return [(moment, surrogate_keys.changed_by_save()) for moment in moments]


def published_between(since, until):
    """Releases that became public after `since` and up to `until`, oldest first."""
    return (
        Release.objects.published()
        .filter(published_at__gt=since, published_at__lte=until)
        .order_by("published_at", "period")
    )
