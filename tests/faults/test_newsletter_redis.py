"""The newsletter with a Redis of the test's own stopped, frozen or full:

* sign-ups never depend on it: the per-client limit is skipped (logged), the
  per-address limits live in PostgreSQL and still hold, and every answer is
  the same page;
* sending fails closed: with the shared sending limit set, a worker that
  cannot read it waits, and carries on once Redis is back."""

import collections
import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

from newsletter import digests, schedules, sending, throttle
from newsletter.models import Subscriber
from tests.helpers import wait_until
from tests.newsletter.test_signup import sign_up

from .test_outages import break_redis, mend_redis

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_cache(redis_server, settings):
    """The site's fail-open Redis cache, on the test's own Redis."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache_backends.FailOpenRedisCache",
            "LOCATION": redis_server.url(1),
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    settings.CACHE_RETRY_AFTER_SECONDS = 0
    yield redis_server
    caches["default"].close()


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["stopped", "frozen", "full"])
def test_sign_ups_go_on_without_redis_and_the_address_limits_hold(
    fault, redis_cache, client, categories, mailoutbox, caplog,
    django_capture_on_commit_callbacks,
):
    def submit(email):
        with django_capture_on_commit_callbacks(execute=True):
            return sign_up(client, email)

    break_redis(redis_cache, fault)
    try:
        answers = [submit(f"reader{n}@example.com") for n in range(3)]
        answers += [submit("reader0@example.com"), submit("READER0@example.com")]
    finally:
        mend_redis(redis_cache, fault)
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, "/newsletter/check-your-email/")
    }
    # One confirmation each; the repeats, kept in PostgreSQL, sent nothing.
    assert sorted(m.to[0] for m in mailoutbox) == [f"reader{n}@example.com" for n in range(3)]
    assert Subscriber.objects.count() == 3
    # Logged, by the limit or by the cache beneath it (which a full Redis
    # makes answer "no such counter", so the count starts again at 1).
    assert (
        "Rate limit newsletter-signup-ip unavailable, not applied" in caplog.text
        or "Cache unavailable, carrying on without it" in caplog.text
    )


class FreezingBackend(LocmemBackend):
    """The outbox; freezes the test's Redis after the 10th message."""

    redis = None

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if len(mail.outbox) == 10:
            FreezingBackend.redis.freeze()
        return sent


@pytest.mark.django_db(transaction=True)
def test_sending_waits_for_a_frozen_redis_and_carries_on(
    redis_server, settings, make_item, make_subscriber
):
    """(The warning it logs is checked in tests/newsletter/test_throttle.py.)"""
    settings.REDIS_URL = redis_server.url(2)
    settings.NEWSLETTER_MAX_PER_SECOND = 1000
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FreezingBackend"}}
    FreezingBackend.redis = redis_server
    throttle.SendingLimit._client = None
    mail.outbox = []
    make_item()
    for _ in range(60):
        make_subscriber()
    digest = schedules.forced_digest("weekly")
    digests.build(digest.pk)

    failures = []

    def send_all():
        try:
            while sending.send_chunk(digest.pk).more:
                pass
        except Exception as error:  # reported by the test below
            failures.append(error)
            raise
        finally:
            connection.close()  # the thread's own

    sender = threading.Thread(target=send_all)
    try:
        sender.start()
        wait_until(lambda: len(mail.outbox) >= 20 or failures, 30, "the first batch")
        time.sleep(4)
        assert not failures, failures
        assert sender.is_alive(), "the worker gave up instead of waiting"
        assert len(mail.outbox) == 20  # the batch in flight at the freeze, then nothing
    finally:
        redis_server.thaw()
        sender.join(timeout=60)
        throttle.SendingLimit._client = None
    assert not failures, failures
    received = collections.Counter(m.to[0] for m in mail.outbox)
    assert len(received) == 60 and set(received.values()) == {1}


@pytest.mark.parametrize("fault", ["stopped", "frozen", "full"])
def test_a_sign_up_through_the_site_answers_quickly_without_redis(
    fault, site_database, redis_server, start_site
):
    """gunicorn with DEBUG off, the cache and the broker in the test's own
    Redis, as compose runs them: with Redis broken the sign-up still gets the
    usual answer within seconds (the work done in the web process)."""
    from .test_outages import Browser, redis_site

    site = redis_site(start_site, site_database, redis_server)
    visitor = Browser(site)
    token = visitor.csrf_token("/newsletter/")
    break_redis(redis_server, fault)
    try:
        response = visitor.request("POST", "/newsletter/", {
            "csrfmiddlewaretoken": token, "email": f"{fault}@example.com",
            "frequency": "weekly", "consent_version": "2026-11",
        })
    finally:
        mend_redis(redis_server, fault)
    assert response.status == 302, response.content[:300]
    assert response.getheader("Location") == "/newsletter/check-your-email/"
    assert response.seconds < 8, response.seconds
    print(f"{fault}: answered in {response.seconds:.1f} s")
