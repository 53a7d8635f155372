"""Digests when the broker or the mail server fails: a real Celery worker (with
beat) and the site's gunicorn against the test database, our own Redis as the
broker and an SMTP server on loopback that refuses, stalls or hangs up.

They need PostgreSQL (processes share the test database): skipped on a laptop
without it, failed in CI."""

import collections
import datetime
import time

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from news.models import NewsItem
from newsletter import sending
from newsletter.models import Delivery, Digest, Subscriber
from tests.helpers import require, wait_until

from .conftest import manage, site_environment
from .test_outages import Browser, run_admin_action

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SUBSCRIBERS = 30


@pytest.fixture
def test_database_url():
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def audience(categories, frequency):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Subscriber.objects.bulk_create(
        Subscriber(
            email=f"reader{n:03d}@example.com",
            status=Subscriber.Status.CONFIRMED,
            frequency=frequency,
            confirmed_at=long_ago,
            digested_until=long_ago,
        )
        for n in range(SUBSCRIBERS)
    )


def worker_env(database_url, broker_url, smtp_port, **extra):
    return {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": smtp_port,
        "EMAIL_TIMEOUT": 2,
        "CONN_MAX_AGE": 0,
        "NEWSLETTER_BEAT_SECONDS": 1,
        "NEWSLETTER_RETRY_BASE_SECONDS": 1,
        "NEWSLETTER_CHUNK_SIZE": 10,
        "NEWSLETTER_PARALLEL_CHUNKS": 2,
        **extra,
    }


def received(smtp):
    return collections.Counter(smtp.handler.recipients())


def all_received_once(smtp):
    counts = received(smtp)
    return len(counts) == SUBSCRIBERS and set(counts.values()) == {1}


def test_broker_stopped_while_an_item_is_published(
    test_database_url, categories, redis_server, smtp_server, start_site, start_worker
):
    audience(categories, "immediate")
    # Hashed with PBKDF2, which the site's own settings check (the tests' fast
    # MD5 hasher is not among them).
    User.objects.create_superuser("admin")
    User.objects.filter(username="admin").update(
        password=make_password("fault-test-admin-password", hasher="pbkdf2_sha256")
    )
    # Written ten minutes ago, so that the immediate digest's batch window
    # (5 minutes, plus a minute for publishing to commit) has closed on it.
    draft = NewsItem.objects.create(
        title="Insurer Index v233", category=categories[0], date=timezone.localdate(),
        summary="The new index.", status=NewsItem.Status.DRAFT,
        published_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    env = worker_env(test_database_url, redis_server.url(0), smtp_server.port)
    site = start_site(**env)
    redis_server.stop()  # the broker is down before the worker or the editor get going
    worker = start_worker(beat=True, **env)

    staff = Browser(site)
    staff.log_in()
    response = run_admin_action(staff, "publish", draft.pk)
    assert response.status == 302, response.content[:300]
    assert NewsItem.objects.published().filter(pk=draft.pk).exists()
    # Publishing an old draft dates it now; the immediate digest waits for its
    # batch window (5 minutes) to close. Move it back so the window has closed.
    NewsItem.objects.filter(pk=draft.pk).update(
        published_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert site.request("GET", draft.get_absolute_url()).status == 200
    time.sleep(3)
    assert received(smtp_server) == {}, "nothing can be sent without the broker"
    assert worker.process.poll() is None, "the worker gave up without its broker"

    redis_server.start()
    wait_until(lambda: all_received_once(smtp_server), 90, "the digest after the broker returned")
    time.sleep(4)  # several more beats: nothing goes out again
    assert all_received_once(smtp_server), received(smtp_server).most_common(3)
    assert Delivery.objects.filter(status="sent").count() == SUBSCRIBERS
    assert Digest.objects.filter(deliveries__isnull=False).distinct().count() == 1


def queue_weekly_digest(env):
    """What an operator types: build this week's digest now; the worker sends it."""
    result = manage(site_environment(**env), "send_digests", "--frequency", "weekly")
    assert f"{SUBSCRIBERS} emails queued" in result.stdout, result.stdout


@pytest.mark.parametrize("fault", ["refusing", "slow", "dropping"])
def test_smtp_faults_mid_digest_are_retried_with_backoff_nothing_lost_nothing_twice(
    fault, test_database_url, categories, make_item, redis_server, smtp_server, start_worker
):
    audience(categories, "weekly")
    make_item(title="Monthly MI report")
    env = worker_env(test_database_url, redis_server.url(0), smtp_server.port)
    handler = smtp_server.handler
    if fault == "refusing":
        handler.refuse = True  # "421 try again later" to every message
    elif fault == "slow":
        handler.delay = 3  # longer than EMAIL_TIMEOUT (2 s): the sender times out
    else:
        handler.drop_at = {7, 19}  # hangs up twice, mid-digest
    start_worker(**env)
    queue_weekly_digest(env)

    if fault in ("refusing", "slow"):
        time.sleep(4)
        assert received(smtp_server) == {}
        handler.refuse, handler.delay = False, 0  # the mail server recovers
    wait_until(lambda: all_received_once(smtp_server), 90, f"every digest through a {fault} server")
    time.sleep(2)
    assert all_received_once(smtp_server), received(smtp_server).most_common(3)

    deliveries = Delivery.objects.all()
    assert {d.status for d in deliveries} == {"sent"} and len(deliveries) == SUBSCRIBERS
    attempts = [d.attempts for d in deliveries]
    assert max(attempts) >= 2, "the failures were retried"
    assert max(attempts) <= 4, attempts
    if fault == "refusing":
        # Backoff: 1 s, then 2 s… so in the 4 s of refusals each message is
        # tried at most three times, not hammered.
        assert handler.refused <= 3 * SUBSCRIBERS, handler.refused
    if fault == "dropping":
        assert handler.dropped == 2
    digest = Digest.objects.get()
    wait_until(lambda: sending.finish_if_done(digest.pk), 10, "digest marked done")
