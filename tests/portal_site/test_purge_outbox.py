"""The purge outbox (common.purges): recorded with the save, delivered to the
application's cache first and then to every shared cache, kept while a cache
cannot take it. Deliveries to a real Varnish are in tests/varnish and
tests/faults."""

import datetime
import logging

import pytest
from django.core.cache import cache
from django.utils import timezone

from common import page_cache, purges
from common.models import PendingPurge

pytestmark = pytest.mark.django_db

CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens there


@pytest.fixture(autouse=True)
def nothing_owed(category):
    """The category of make_item exists, and no purge is owed yet."""
    PendingPurge.objects.all().delete()


def test_a_save_owes_its_purge_until_its_transaction_commits(
    client, make_item, django_capture_on_commit_callbacks
):
    client.get("/robots.txt")  # the page cache is in use
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = make_item(title="Saved")
    (row,) = PendingPurge.objects.all()
    assert f"news-item-{item.pk}" in row.keys.split() and row.delivered_to == []
    for callback in callbacks:
        callback()
    # No shared cache configured: the application's cache was all it was owed.
    assert not PendingPurge.objects.exists()
    log = cache.get(page_cache.PURGE_LOG_KEY)
    assert f"news-item-{item.pk}" in log["keys"]


def test_shared_caches_wait_for_the_application_cache(
    unreachable_redis, settings, caplog, make_item, django_capture_on_commit_callbacks
):
    """Purging Varnish before the application's own cache would let Varnish
    fetch the old page again from it."""
    settings.FRONTEND_CACHE_URLS = [CLOSED_PORT]
    with caplog.at_level(logging.WARNING, logger="common.purges"):
        with django_capture_on_commit_callbacks(execute=True):
            make_item(title="Saved while Redis is down")
    (row,) = PendingPurge.objects.all()
    assert row.delivered_to == []
    assert "Purge of the page cache owed" in caplog.text
    assert "Could not purge" not in caplog.text  # the shared cache was not even tried


def test_a_cache_that_is_down_holds_up_none_of_the_others(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.FRONTEND_CACHE_URLS = [CLOSED_PORT, "http://127.0.0.1:10"]
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.purge("news-item-1")
    (row,) = PendingPurge.objects.all()
    assert row.delivered_to == ["page-cache"]  # delivered here, on commit
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="common.purges"):
        assert purges.deliver() == 1
    # Both were tried, each on its own; the row stays owed to both.
    assert caplog.text.count("Could not purge") == 2
    settings.FRONTEND_CACHE_URLS = []  # the caches were taken out of the configuration
    assert purges.deliver() == 0
    assert not PendingPurge.objects.exists()


def test_a_purge_owed_longer_than_any_page_lives_is_dropped(settings, caplog):
    settings.FRONTEND_CACHE_URLS = [CLOSED_PORT]
    page_cache.purge("news-item-1")
    page_cache.purge("news-item-2")
    long_ago = timezone.now() - datetime.timedelta(
        seconds=settings.PUBLIC_PAGE_SHARED_MAX_AGE + settings.PUBLIC_PAGE_STALE_IF_ERROR + 1
    )
    PendingPurge.objects.filter(keys="news-item-1").update(created_at=long_ago)
    with caplog.at_level(logging.WARNING, logger="common.purges"):
        assert purges.deliver() == 1
    assert "Dropped purge news-item-1" in caplog.text
    assert list(PendingPurge.objects.values_list("keys", flat=True)) == ["news-item-2"]


def test_beat_delivers_owed_purges_every_few_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["common-deliver-purges"]
    assert entry["task"] == "common.tasks.deliver_purges"
    assert entry["schedule"] == settings.PURGE_RETRY_SECONDS == 5
    # Beat without a worker queues no pile of them.
    assert entry["options"]["expires"] == settings.PURGE_RETRY_SECONDS
