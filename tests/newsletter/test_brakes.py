"""The complaint and bounce brake: past NEWSLETTER_MAX_COMPLAINT_RATE (0.3 %)
spam complaints, or NEWSLETTER_MAX_BOUNCE_RATE (5 %) bounces, of a digest's
accepted emails, sending pauses, Newsletter managers get an email, and the
dashboard says why."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from newsletter import brakes, digests, schedules, sending, tasks
from newsletter.models import Delivery, Digest, ProviderEvent, Subscriber
from tests.helpers import member_of

from .test_webhooks import SECRET, auth, postmark

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


@pytest.fixture
def sent_digest():
    """A sending digest: 1,000 emails accepted, 10 still to go."""
    digest = Digest.objects.create(
        frequency="weekly", period="2026-W47", until=timezone.now(), status="sending",
        recipients=1010,
    )
    long_ago = timezone.now() - datetime.timedelta(days=30)
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n:04d}@example.com", status="confirmed", frequency="weekly",
                   confirmed_at=long_ago, digested_until=long_ago)
        for n in range(1010)
    )
    Delivery.objects.bulk_create(
        Delivery(digest=digest, subscriber=s, since=long_ago,
                 status="sent" if n < 1000 else "pending",
                 sent_at=timezone.now() if n < 1000 else None)
        for n, s in enumerate(subscribers)
    )
    return digest


def complain(number, digest=None):
    payload = postmark("complaint", recipient=f"reader{number:04d}@example.com")
    payload["ID"] = 1000 + number
    if digest is not None:
        payload["Metadata"] = {"digest": str(digest.pk)}  # sent with every batch
    response = Client().post(
        "/anymail/postmark/tracking/", json.dumps(payload), content_type="application/json",
        **auth(),
    )
    assert response.status_code == 200


def test_complaints_past_the_limit_pause_the_digest_and_tell_the_managers(
    sent_digest, mailoutbox, client, django_capture_on_commit_callbacks
):
    member_of("Newsletter managers", "nora", email=True)
    member_of("Newsletter managers", "noemail")  # no address: not emailed
    member_of("Editors", "eddie", email=True)  # not a manager
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(3):  # 0.3 %: at the limit, not past it
            complain(number, sent_digest)
    sent_digest.refresh_from_db()
    assert sent_digest.status == "sending" and mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        complain(3)  # no metadata: the last digest sent to the address
    sent_digest.refresh_from_db()
    assert sent_digest.status == "paused" and sent_digest.braked_at is not None
    assert sent_digest.stop_reason == (
        "Paused by the brake: 4 spam complaints for 1000 accepted emails (0.40%), "
        "above the limit of 0.3%."
    )
    assert ProviderEvent.objects.filter(digest=sent_digest, kind="complaint").count() == 4
    (notice,) = mailoutbox
    assert notice.to == ["nora@example.org"]
    assert notice.subject == f"Sending paused: {sent_digest}"
    assert sent_digest.stop_reason in notice.body
    assert f"/admin/newsletter/digest/{sent_digest.pk}/change/" in notice.body
    assert notice.extra_headers["Message-ID"].endswith("@127.0.0.1>")  # the site's domain
    # Nothing more goes out; the dashboard and the digest's page say why.
    assert sending.send_chunk(sent_digest.pk).sent == 0
    client.force_login(member_of("Newsletter managers", "nina"))
    assert sent_digest.stop_reason in client.get("/admin/").content.decode()
    page = client.get(f"/admin/newsletter/digest/{sent_digest.pk}/change/").content.decode()
    assert sent_digest.stop_reason in page and "overrides it for this digest" in page


def test_resuming_after_the_brake_overrides_it_for_that_digest(sent_digest, mailoutbox):
    for number in range(4):
        complain(number, sent_digest)
    sent_digest.refresh_from_db()
    assert sent_digest.status == "paused"
    assert sending.resume(sent_digest)
    complain(4, sent_digest)
    sent_digest.refresh_from_db()
    assert sent_digest.status == "sending" and sent_digest.brake_overridden


def test_a_few_early_complaints_do_not_stop_a_large_digest(sent_digest, settings):
    """The rate is taken over at least NEWSLETTER_BRAKE_MIN_DELIVERIES emails."""
    Delivery.objects.filter(digest=sent_digest, status="sent").exclude(
        subscriber__email__in=["reader0000@example.com", "reader0001@example.com"]
    ).update(status="pending", sent_at=None)
    complain(0, sent_digest)  # 1 of 2 sent so far, but 1 of at least 1,000
    assert brakes.figures(sent_digest.pk) == (2, 1, 0)
    sent_digest.refresh_from_db()
    assert sent_digest.status == "sending"


def test_bounce_reports_count_too(sent_digest, settings):
    settings.NEWSLETTER_MAX_BOUNCE_RATE = 0.002
    for number in range(3):
        payload = postmark("bounce", recipient=f"reader{number:04d}@example.com")
        payload["ID"] = 2000 + number
        Client().post("/anymail/postmark/tracking/", json.dumps(payload),
                      content_type="application/json", **auth())
    sent_digest.refresh_from_db()
    assert sent_digest.status == "paused"
    assert sent_digest.stop_reason.startswith("Paused by the brake: 3 bounces for 1000")


def test_refusals_while_sending_pause_it_after_the_batch(
    make_item, make_subscriber, smtp_server, settings
):
    """The mail server refuses 1 address in 10 (550): 10 % bounces, past 5 %."""
    settings.NEWSLETTER_BRAKE_MIN_DELIVERIES = 20
    member_of("Newsletter managers", "nora", email=True)
    make_item()
    for n in range(250):
        make_subscriber(email=f"{'perm' if n % 10 == 0 else 'reader'}{n:03d}@example.com")
    digest = schedules.forced_digest("weekly")
    digests.build(digest.pk)
    tasks.send_digest_chunk(digest.pk)
    digest.refresh_from_db()
    assert digest.status == "paused"
    assert digest.stop_reason.startswith("Paused by the brake: 10 bounces for 90 accepted")
    progress = digests.Progress.of(digest)
    assert (progress["sent"], progress["failed"], progress["pending"]) == (90, 10, 150)
    notices = [m for rcpt, m in smtp_server.parsed() if rcpt == ["nora@example.org"]]
    assert len(notices) == 1 and "Sending paused" in notices[0]["Subject"]
