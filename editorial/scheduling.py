"""Approved changes to live content go live at their time, with or without a
Celery worker, as new items scheduled by their publication time do.

* Cached pages: scheduled_changes() is one of
  settings.PUBLIC_PAGE_CHANGE_TIMERS, so the pages that show an object with
  a change approved for a time (its Review's `page_keys`) are kept, by the
  application's cache and the shared caches in front, no later than that
  time; other pages are not touched.
* ScheduledChangesMiddleware publishes the changes now due before a request
  is answered: the first request after the time, for a public page whose
  cached copy has just ended or for admin, sees the change. It compares the
  time with the next one this process remembers (read again from the cache
  every few seconds), so most requests do no work for it.
* With a worker, a task queued for the time and beat's sweep every minute
  publish it too, even when no request comes.
Whichever comes first publishes it, once (workflow.publish_due locks it).
"""

import logging
import time

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from common.page_cache import has_session, purge

from . import registry, workflow
from .models import Revision

logger = logging.getLogger(__name__)

NEXT_DUE_KEY = "editorial:next-scheduled-change"
NOTHING_DUE = 0
# How long the cache keeps the next time, and how long a process trusts its
# own copy (a change approved in another process is seen within this).
RECHECK_SECONDS = 60
REMEMBER_SECONDS = 2
_remembered = {"due": None, "until": 0.0}


def page_keys(obj):
    """The surrogate keys of the public pages that show `obj` (its Review's)."""
    review = registry.review_for(obj) if obj is not None else None
    if review is None or review.page_keys is None:
        return set()
    return set(review.page_keys(obj))


def scheduled_changes(start, end):
    """For settings.PUBLIC_PAGE_CHANGE_TIMERS: (moment, surrogate keys) of each
    approved change due in (start, end]: the pages that show its object."""
    due = Revision.objects.scheduled().filter(publish_at__gt=start, publish_at__lte=end)
    changes = []
    for revision in due.select_related("content_type"):
        keys = page_keys(revision.object)
        if keys:
            changes.append((revision.publish_at, keys))
    return changes


def next_due():
    """The epoch seconds of the next approved change, or None."""
    now = time.monotonic()
    if now < _remembered["until"]:
        return _remembered["due"]
    due = cache.get(NEXT_DUE_KEY)
    if due is None:
        at = workflow.next_scheduled_change()
        due = at.timestamp() if at is not None else NOTHING_DUE
        cache.set(NEXT_DUE_KEY, due, timeout=RECHECK_SECONDS)
    _remembered.update(due=due or None, until=now + REMEMBER_SECONDS)
    return due or None


def forget_next_due():
    _remembered["until"] = 0.0
    cache.delete(NEXT_DUE_KEY)


def publish_due_changes():
    """Publish the changes whose time has come, if any (no work when none is)."""
    due = next_due()
    if due is None or due > timezone.now().timestamp():
        return 0
    count = workflow.publish_due()
    forget_next_due()
    return count


def schedule_changed(revision):
    """A change was approved for a time: forget the next time remembered, and
    purge the pages that show its object, so that their cached copies are
    made again to end at that time."""
    transaction.on_commit(forget_next_due, robust=True)
    purge(*page_keys(revision.object))


class ScheduledChangesMiddleware:
    """Before answering a request for a page, or any of staff's, publish the
    approved changes now due. (Public forms and webhooks show no content.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") or has_session(request):
            try:
                publish_due_changes()
            except DatabaseError:
                # The page reports the database itself (common.guards).
                logger.exception("Approved changes now due were not published")
        return self.get_response(request)
