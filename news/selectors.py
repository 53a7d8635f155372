"""Public functions other apps use to read news (the newsletter's digests)."""

from django.utils import timezone

from .models import Category, ChangeNote, NewsItem, published_condition


def published_since(since, until=None, categories=None):
    """Published items whose publication time is after `since` (and up to `until`),
    oldest first, optionally limited to `categories` (ids or Category objects)."""
    items = NewsItem.objects.published().filter(published_at__gt=since).for_listing()
    if until is not None:
        items = items.filter(published_at__lte=until)
    if categories is not None:
        items = items.filter(category__in=categories)
    return items.order_by("published_at", "pk")


def updated_since(since, until):
    """Major changes (change notes) that went live after `since` and up to
    `until`, to items published before `since` and still published, oldest
    first, with their item and its category."""
    return (
        ChangeNote.objects.filter(published_condition("item__"), published_at__gt=since,
                                  published_at__lte=until, item__published_at__lte=since)
        .select_related("item__category")
        .order_by("published_at", "pk")
    )


def categories():
    """Every category, in display order."""
    return Category.objects.all()


def seconds_until_next_publication():
    """Seconds until the next scheduled item goes live or the next live item
    expires, or None if nothing is due to change."""
    now = timezone.now()
    live = NewsItem.objects.filter(status=NewsItem.Status.PUBLISHED)
    times = [
        live.filter(published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first(),
        live.filter(expires_at__gt=now)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first(),
    ]
    times = [time for time in times if time is not None]
    return (min(times) - now).total_seconds() if times else None
