"""The shared sending rate (NEWSLETTER_MAX_PER_SECOND, NEWSLETTER_MAX_PER_DAY),
counted in Redis for every worker together; sending fails closed when Redis
cannot answer, and a digest larger than the day's quota carries on the next
day by itself (the clocks moved with time_machine: rows take their times
from the database defaults). Needs Redis (REDIS_URL): skipped without it, failed in CI."""

import datetime
import logging
import threading
import time

import pytest
import time_machine
from django.core import mail

from newsletter import digests, schedules, sending, tasks, throttle
from newsletter.models import Delivery
from tests.helpers import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(redis_url, settings):
    """Fresh counters in the run's Redis database, and a new client for it."""
    throttle.SendingLimit._client = None
    limit = throttle.SendingLimit()
    client = throttle.SendingLimit.client()
    stale = [limit.bucket_key, *client.scan_iter(match=limit.day_prefix + "*")]
    client.delete(*stale)
    yield settings
    client.delete(limit.bucket_key, *client.scan_iter(match=limit.day_prefix + "*"))
    throttle.SendingLimit._client = None


def test_the_rate_holds_for_all_workers_together(limits):
    limits.NEWSLETTER_MAX_PER_SECOND = 40
    granted = []
    stop = time.monotonic() + 1.5

    def worker():
        limit = throttle.SendingLimit()  # each worker its own, as in separate processes
        while time.monotonic() < stop:
            grant = limit.take(10)
            granted.append(grant.count)
            if not grant.count:
                time.sleep(grant.wait)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A full bucket (one second's worth), then 40 a second: at most 40 + 1.5 × 40.
    assert 40 <= sum(granted) <= 40 + 1.5 * 40 + 1, sum(granted)


def test_a_digest_larger_than_the_days_quota_carries_on_the_next_day(
    limits, make_item, make_subscriber, settings, django_capture_on_commit_callbacks
):
    limits.NEWSLETTER_MAX_PER_DAY = 5
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    with time_machine.travel(london(2026, 11, 18, 10, 0), tick=True):
        make_item()
        for _ in range(8):
            make_subscriber()
        digest = schedules.forced_digest("weekly")
        digests.build(digest.pk)
        result = sending.send_chunk(digest.pk)
        assert result.sent == 5 and not result.more
        assert result.retry_in is None  # too far off for a countdown: the sweeper resumes it
        waiting = Delivery.objects.filter(digest=digest, status="pending")
        assert waiting.count() == 3
        assert set(waiting.values_list("next_attempt_at", flat=True)) == {
            london(2026, 11, 19, 0, 0)
        }
        assert set(waiting.values_list("attempts", flat=True)) == {0}
        assert tasks.sweep() == 0 and len(mail.outbox) == 5  # nothing due yet
    next_day = time_machine.travel(london(2026, 11, 19, 0, 1), tick=True)
    with next_day, django_capture_on_commit_callbacks(execute=True):
        tasks.sweep()  # beat's sweep finds the digest idle with rows due
    assert len(mail.outbox) == 8
    assert len({message.to[0] for message in mail.outbox}) == 8
    assert digests.Progress.of(digest)["sent"] == 8


def test_sending_waits_when_the_limit_cannot_be_read(
    limits, make_item, make_subscriber, settings, monkeypatch, caplog
):
    """Fail closed: with Redis unreachable nothing goes out unmetered; the
    rows go back for a later try (their attempt not counted)."""
    limits.NEWSLETTER_MAX_PER_SECOND = 100
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    throttle.SendingLimit._client = None
    monkeypatch.setattr(sending, "LIMIT_UNAVAILABLE_WAIT", 1.5)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    make_item()
    for _ in range(3):
        make_subscriber()
    digest = schedules.forced_digest("weekly")
    digests.build(digest.pk)
    with caplog.at_level(logging.WARNING):
        result = sending.send_chunk(digest.pk)
    assert mail.outbox == [] and result.sent == 0
    assert result.retry_in == sending.LIMIT_UNAVAILABLE_RETRY and not result.more
    assert "Sending limit unavailable, waiting" in caplog.text
    rows = Delivery.objects.filter(digest=digest)
    assert set(rows.values_list("status", "attempts")) == {("pending", 0)}
    later = rows.first().next_attempt_at - datetime.timedelta(seconds=50)
    assert later > digest.created_at


def test_sign_ups_never_wait_for_the_sending_limit(limits, client, categories, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    limits.NEWSLETTER_MAX_PER_SECOND = 1
    limits.REDIS_URL = "redis://127.0.0.1:9/0"
    throttle.SendingLimit._client = None
    from .test_signup import sign_up

    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, "ann@example.com")
    assert response.status_code == 302 and len(mailoutbox) == 1
