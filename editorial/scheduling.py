"""Approved changes to live content go live at their time, with or without a
Celery worker, as new items scheduled by their publication time do.

* Public pages: publish_due_and_time_next is one of
  settings.PUBLIC_PAGE_CHANGE_TIMERS, so cached pages (the application's and
  Varnish's) end when a change is due, and the request that starts the next
  generation of pages publishes it before it is answered.
* Staff pages: ScheduledChangesMiddleware does the same before answering a
  request with a session, so that admin never says "going live at" a time
  that has passed.
* With a worker, a task queued for the time and beat's sweep every minute
  publish it too, even when no request comes.
Whichever comes first publishes it, once (workflow.publish_due locks it).
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from common import page_cache

from . import workflow

logger = logging.getLogger(__name__)

NEXT_DUE_KEY = "editorial:next-scheduled-change"
NOTHING_DUE = 0
# How long a process trusts the cached time; scheduling a change clears it.
RECHECK_SECONDS = 60


def _seconds_until(at):
    return None if at is None else max(0.0, (at - timezone.now()).total_seconds())


def publish_due_and_time_next():
    """For settings.PUBLIC_PAGE_CHANGE_TIMERS: publish the changes now due,
    then the seconds until the next one (None: none is scheduled)."""
    at = workflow.next_scheduled_change()
    if at is not None and at <= timezone.now():
        workflow.publish_due()
        at = workflow.next_scheduled_change()
    return _seconds_until(at)


def next_due():
    """The epoch seconds of the next approved change, or None: one cache read."""
    due = cache.get(NEXT_DUE_KEY)
    if due is None:
        at = workflow.next_scheduled_change()
        due = at.timestamp() if at is not None else NOTHING_DUE
        cache.set(NEXT_DUE_KEY, due, timeout=RECHECK_SECONDS)
    return due or None


def publish_due_changes():
    """Publish the changes whose time has come, if any (cheap when none is)."""
    due = next_due()
    if due is None or due > timezone.now().timestamp():
        return 0
    count = workflow.publish_due()
    cache.delete(NEXT_DUE_KEY)
    return count


def schedule_changed():
    """A change was approved for a time: the cached next moment is stale, and
    cached pages must end at it (a new generation reads the timers again)."""
    transaction.on_commit(lambda: cache.delete(NEXT_DUE_KEY), robust=True)
    page_cache.invalidate()


class ScheduledChangesMiddleware:
    """Before answering staff (a request with a session), apply the approved
    changes now due. Public pages do it through their timers (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if page_cache.has_session(request):
            try:
                publish_due_changes()
            except DatabaseError:
                # The page reports the database itself (common.guards).
                logger.exception("Approved changes now due were not published")
        return self.get_response(request)
