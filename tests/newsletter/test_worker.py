"""Digests sent by real Celery workers through Redis to a real SMTP server.

These need PostgreSQL (workers in other processes share its test database) and
Redis: they are skipped on a laptop without them and fail in CI."""

import collections
import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from newsletter import digests, schedules, tasks
from newsletter.models import Delivery, Digest, Subscriber
from portal_site.celery import app as celery_app
from tests.helpers import require

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


@pytest.fixture
def broker(redis_url, settings):
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield redis_url
    celery_app.conf.task_always_eager = saved


def make_audience(count, make_item):
    make_item(title="Insurer Index v232")
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Subscriber.objects.bulk_create(
        Subscriber(
            email=f"reader{n:05d}@example.com",
            status=Subscriber.Status.CONFIRMED,
            frequency="weekly",
            confirmed_at=long_ago,
            digested_until=long_ago,
        )
        for n in range(count)
    )


def wait_until_done(digest, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        open_rows = Delivery.objects.filter(
            digest=digest, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        )
        if not open_rows.exists():
            return
        time.sleep(0.2)
    raise AssertionError(f"digest not finished in {timeout}s: {digests.counts(digest)}")


def received_per_recipient(smtp_server):
    return collections.Counter(rcpt for rcpts, _ in smtp_server.messages for rcpt in rcpts)


def test_real_worker_sends_a_digest_to_2000_subscribers(broker, make_item, smtp_server, settings):
    from celery.contrib.testing.worker import start_worker

    settings.NEWSLETTER_CHUNK_SIZE = 250
    make_audience(2000, make_item)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        digest = schedules.forced_digest("weekly")
        assert tasks.build_and_send(digest.pk) == 2000  # queues the send tasks on commit
        wait_until_done(digest, timeout=120)
    received = received_per_recipient(smtp_server)
    assert len(received) == 2000
    assert set(received.values()) == {1}
    assert Delivery.objects.filter(status="sent").count() == 2000
    ids = {message["Message-ID"] for _, message in smtp_server.parsed()}
    assert len(ids) == 2000
    # The last task to find nothing left marks the digest done.
    deadline = time.monotonic() + 10
    while Digest.objects.get(pk=digest.pk).status != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Digest.objects.get(pk=digest.pk).status == "done"


def start_worker_process(smtp_port, name, beat_schedule=None, **extra):
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"],
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "NEWSLETTER_CHUNK_SIZE": "100",
        "NEWSLETTER_PARALLEL_CHUNKS": "2",
        "CONN_MAX_AGE": "0",
        **{name: str(value) for name, value in extra.items()},
    }
    return subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "portal_site",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            f"--hostname={name}@%h",
            # The restarted worker also runs beat, as compose's beat service
            # would: its sweeps hand the dead worker's deliveries on.
            *(["--beat", f"--schedule={beat_schedule}"] if beat_schedule else []),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: kill the pool child too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process, sig):
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def test_sigkill_mid_send_loses_nothing_repeats_at_most_one_and_recovers_within_lease_and_sweep(
    broker, make_item, smtp_server, settings, tmp_path
):
    """Recovery takes the lease plus a sweep plus a chunk (README: about 1½
    minutes with the defaults of 45 s and 30 s); shorter ones keep this quick."""
    smtp_server.delay = 0.003  # slow enough to kill the worker mid-send
    make_audience(2000, make_item)
    digest = schedules.forced_digest("weekly")
    lease = {"NEWSLETTER_LEASE_SECONDS": 15, "NEWSLETTER_SWEEP_SECONDS": 5}
    first = start_worker_process(smtp_server.port, "first", **lease)
    try:
        assert tasks.build_and_send(digest.pk) == 2000
        deadline = time.monotonic() + 60
        while len(smtp_server.messages) < 450 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(smtp_server.messages) >= 450, "the first worker never got going"
        stop(first, signal.SIGKILL)
    finally:
        if first.poll() is None:
            stop(first, signal.SIGKILL)
    killed_at = time.monotonic()
    at_crash = len(smtp_server.messages)
    assert at_crash < 2000, "the worker finished before it could be killed"
    assert Delivery.objects.filter(status="sending").exists()

    # A new worker (with beat) starts at once; nobody sweeps by hand. The dead
    # worker's leases run out and beat's sweep hands its rows on.
    second = start_worker_process(smtp_server.port, "second", tmp_path / "beat-schedule", **lease)
    try:
        wait_until_done(digest, timeout=120)
    finally:
        stop(second, signal.SIGTERM)
    recovered_after = time.monotonic() - killed_at

    received = received_per_recipient(smtp_server)
    assert len(received) == 2000, "every subscriber got the digest"
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates <= 1, f"{duplicates} messages went out twice after one crash"
    assert Delivery.objects.filter(status="sent").count() == 2000
    # lease + sweep, and 20 s for the new worker to start and send the rest
    assert recovered_after < 15 + 5 + 20, f"all sent only {recovered_after:.0f} s after the crash"
    print(f"every delivery sent {recovered_after:.0f} s after the crash")


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_pause_resume_crash_and_cancel_lose_nothing_and_send_nothing_twice(
    broker, make_item, smtp_server, admin_client, tmp_path
):
    """A digest paused, resumed, its worker killed, then cancelled, through
    the admin's buttons, with real workers: nothing goes out while it is
    paused, nobody gets it twice except at most the one message in flight at
    the crash, and every subscriber either got it or is marked cancelled."""
    smtp_server.delay = 0.003
    make_audience(2000, make_item)
    digest = schedules.forced_digest("weekly")
    control = f"/admin/newsletter/digest/{digest.pk}/control/"
    quick = {"NEWSLETTER_LEASE_SECONDS": 6, "NEWSLETTER_SWEEP_SECONDS": 2}
    first = start_worker_process(smtp_server.port, "first", **quick)
    second = None
    try:
        assert tasks.build_and_send(digest.pk) == 2000
        wait_for(lambda: len(smtp_server.messages) >= 300, 60, "the first worker started")

        assert admin_client.post(control, {"action": "pause"}).status_code == 302
        at_pause = len(smtp_server.messages)
        time.sleep(3)
        stopped_at = len(smtp_server.messages)
        time.sleep(2)
        assert len(smtp_server.messages) == stopped_at, "still sending while paused"
        assert stopped_at - at_pause <= 100, "more than the batch in flight after pausing"
        assert not Delivery.objects.filter(digest=digest, status="sending").exists()

        admin_client.post(control, {"action": "resume"})
        wait_for(lambda: len(smtp_server.messages) >= stopped_at + 400, 60, "resumed")
        stop(first, signal.SIGKILL)  # mid-send
        second = start_worker_process(
            smtp_server.port, "second", tmp_path / "beat-schedule", **quick
        )
        wait_for(lambda: len(smtp_server.messages) >= 1500, 120, "the second worker took over")
        admin_client.post(control, {"action": "cancel"})
        wait_for(
            lambda: Digest.objects.get(pk=digest.pk).finished_at is not None, 60, "finished"
        )
        time.sleep(1)
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second, signal.SIGTERM)

    progress = digests.Progress.of(digest)
    assert progress.waiting == 0 and progress["cancelled"] > 0
    assert progress["sent"] + progress["cancelled"] == 2000, progress.by_status
    sent_to = set(
        Delivery.objects.filter(digest=digest, status="sent")
        .values_list("subscriber__email", flat=True)
    )
    received = received_per_recipient(smtp_server)
    assert sent_to <= set(received), "a delivery marked sent never arrived"
    # Beyond the rows marked sent, at most the message in flight at the crash
    # (sent again, or to someone whose row was then cancelled).
    extra = sum(received.values()) - len(sent_to)
    assert 0 <= extra <= 1, f"{extra} messages more than the deliveries marked sent"
    assert Digest.objects.get(pk=digest.pk).status == "cancelled"


def test_an_import_through_the_admin_with_a_real_worker(broker, admin_client, categories):
    """Upload through the real admin; a real worker checks, then imports."""
    from celery.contrib.testing.worker import start_worker
    from django.core.files.uploadedfile import SimpleUploadedFile

    from newsletter.models import SubscriberImport

    rows = "".join(f"reader{n}@example.com,weekly,update\n" for n in range(5000))
    content = ("email,frequency,topics\n" + rows + "reader7@example.com\nbad\n").encode()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        started = time.monotonic()
        response = admin_client.post(
            "/admin/newsletter/subscriber/import/",
            {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")},
        )
        assert response.status_code == 302
        assert time.monotonic() - started < 5, "the upload returns at once"
        job = SubscriberImport.objects.get()
        wait_for_job(job, "checked", timeout=60)
        assert Subscriber.objects.count() == 0  # a dry run adds nobody
        page = admin_client.get(response["Location"]).content.decode()
        assert "Add 5000 subscribers" in page and "Repeats an earlier row" in page
        admin_client.post(response["Location"], {"confirm": "yes"})
        wait_for_job(job, "done", timeout=60)
    assert Subscriber.objects.count() == 5000
    progress = admin_client.get(response["Location"] + "progress.json").json()
    assert progress["running"] is False and progress["done"] == progress["total"]


def wait_for_job(job, status, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return
        assert job.status != "failed", job.error
        time.sleep(0.2)
    raise AssertionError(f"import still {job.status} after {timeout}s")
