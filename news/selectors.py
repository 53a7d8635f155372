"""Public functions other apps use to read news (the newsletter's digests)."""

from django.db.models import Q

from . import surrogate_keys
from .models import Category, NewsItem


def published_since(since, until=None, categories=None):
    """Published items whose publication time is after `since` (and up to `until`),
    oldest first, optionally limited to `categories` (ids or Category objects)."""
    items = NewsItem.objects.published().filter(published_at__gt=since).for_listing()
    if until is not None:
        items = items.filter(published_at__lte=until)
    if categories is not None:
        items = items.filter(category__in=categories)
    return items.order_by("published_at", "pk")


def categories():
    """Every category, in display order."""
    return Category.objects.all()


def scheduled_changes(start, end):
    """(moment, surrogate keys) of each item going live or expiring in
    (start, end]: settings.PUBLIC_PAGE_CHANGE_TIMERS (common.page_cache)."""
    live = NewsItem.objects.filter(status=NewsItem.Status.PUBLISHED)
    due = live.filter(
        Q(published_at__gt=start, published_at__lte=end)
        | Q(expires_at__gt=start, expires_at__lte=end)
    ).values(*surrogate_keys.FIELDS)
    changes = []
    for state in due:
        keys = surrogate_keys.where_listed(state)
        for moment in (state["published_at"], state["expires_at"]):
            if moment is not None and start < moment <= end:
                changes.append((moment, keys))
    return changes
