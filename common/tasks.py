from celery import shared_task

from . import purges


@shared_task(ignore_result=True)
def deliver_purges():
    """Deliver every purge still owed to the page cache and the shared caches.
    Queued after each save that purges; beat runs it every
    settings.PURGE_RETRY_SECONDS too, so a purge that could not be delivered
    (the broker, Redis or a cache down) goes out soon after they return."""
    purges.deliver()
