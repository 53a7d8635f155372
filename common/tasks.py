import logging

from celery import shared_task
from django.conf import settings

from . import frontend_cache

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=6, ignore_result=True)
def purge_frontend_caches(self, base_url=None):
    """Purge every configured shared cache. Each cache is its own task, retried
    with backoff, so one that is down neither fails a save nor keeps the
    others stale."""
    if base_url is None:
        for url in settings.FRONTEND_CACHE_URLS:
            purge_frontend_caches.delay(url)
        return
    try:
        frontend_cache.purge_all(base_url)
    except OSError as error:
        if self.request.is_eager:  # no worker (make run): never hold up the save
            logger.warning("Could not purge %s: %s", base_url, error)
            return
        raise self.retry(exc=error, countdown=min(60, 2 ** (self.request.retries + 1))) from error
