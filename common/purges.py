"""The purge outbox: a purge is recorded with the save that needs it and
delivered to every cache, never lost.

`record(keys)` (through common.page_cache.purge) writes a PendingPurge row in
the caller's transaction. Once that commits, this process applies it to the
application's own page cache and queues `common.tasks.deliver_purges`, which
sends it to every shared cache in settings.FRONTEND_CACHE_URLS. Whatever could
not be delivered (Redis, the broker or a cache down) stays owed: beat runs the
same task every settings.PURGE_RETRY_SECONDS and it delivers every owed row as
soon as its cache can be reached.

A shared cache is purged only after the application's own cache, or it would
fetch the old page again from it. The shared caches are independent: one that
is down holds up none of the others. Rows that reached every cache are
deleted; a row no cache could take for longer than any copy of a page can
live (PUBLIC_PAGE_SHARED_MAX_AGE plus PUBLIC_PAGE_STALE_IF_ERROR) is dropped
with a warning, as nothing it would purge is left.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import frontend_cache, page_cache
from .models import PendingPurge

logger = logging.getLogger(__name__)

PAGE_CACHE = "page-cache"  # the application's own cache, in PendingPurge.delivered_to
BATCH = 500


def record(keys):
    """Owe a purge of `keys`, in the current transaction; deliver it after the commit."""
    if not keys:
        return
    PendingPurge.objects.create(keys=" ".join(sorted(keys)))
    # robust: a cache or broker that is down must never fail the save.
    transaction.on_commit(_after_commit, robust=True)


def _after_commit():
    deliver(shared_caches=False)
    if settings.FRONTEND_CACHE_URLS:
        from .tasks import deliver_purges

        deliver_purges.delay()


def _keys(rows):
    return {key for row in rows for key in row.keys.split()}


def deliver(shared_caches=True):
    """Deliver what is owed (to this process's page cache only, or to every
    cache); returns the number of rows still owed."""
    while True:
        owed, full_batch, progressed = _deliver_batch(shared_caches)
        if not (full_batch and progressed):
            return owed


def _deliver_batch(shared_caches):
    everywhere = {PAGE_CACHE, *settings.FRONTEND_CACHE_URLS}
    too_old = timezone.now() - datetime.timedelta(
        seconds=max(settings.PAGE_CACHE_TIMEOUT, settings.PUBLIC_PAGE_SHARED_MAX_AGE)
        + settings.PUBLIC_PAGE_STALE_IF_ERROR
    )
    with transaction.atomic():
        # Rows another process is delivering are left to it.
        rows = list(PendingPurge.objects.select_for_update(skip_locked=True)[:BATCH])
        if not rows:
            return 0, False, False
        fresh = [row for row in rows if PAGE_CACHE not in row.delivered_to]
        if fresh:
            try:
                page_cache.apply_purge(_keys(fresh))
            except page_cache.PurgeNotApplied as error:
                logger.warning("Purge of the page cache owed, to retry: %s", error)
            else:
                for row in fresh:
                    row.delivered_to.append(PAGE_CACHE)
        for url in settings.FRONTEND_CACHE_URLS if shared_caches else ():
            owed = [r for r in rows if PAGE_CACHE in r.delivered_to and url not in r.delivered_to]
            if not owed:
                continue
            try:
                frontend_cache.purge_keys(url, _keys(owed))
            except OSError as error:
                logger.warning("Could not purge %s, to retry: %s", url, error)
                continue
            for row in owed:
                row.delivered_to.append(url)
        done = [row for row in rows if everywhere <= set(row.delivered_to)]
        expired = [row for row in rows if row not in done and row.created_at < too_old]
        for row in expired:
            logger.warning("Dropped purge %s, owed since %s to %s", row.keys, row.created_at,
                           sorted(everywhere - set(row.delivered_to)))
        finished = {row.pk for row in done + expired}
        PendingPurge.objects.filter(pk__in=finished).delete()
        PendingPurge.objects.bulk_update(
            [row for row in rows if row.pk not in finished], ["delivered_to"]
        )
    return len(rows) - len(finished), len(rows) == BATCH, bool(finished)
