"""Digests through an email service's batch API: Anymail's real Mailgun
backend, over HTTP, to a stand-in for Mailgun's sending API on loopback
(tests/email_service_standin.py: no email service is reachable from here).
The stand-in checks the batch format and personalises each copy as Mailgun
would, so each recipient's own links and List-Unsubscribe header can be
followed."""

import collections
import datetime
from unittest import mock

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.message import AnymailRecipientStatus
from django.core import mail
from django.test import Client
from django.utils import timezone

from newsletter import digests, schedules, sending, tasks
from newsletter.models import Delivery, Subscriber
from tests.email_service_standin import MailgunStandIn

from .conftest import path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailgun(settings):
    standin = MailgunStandIn().start()
    settings.MAILERS = {"default": standin.mailer()}
    settings.DEFAULT_FROM_EMAIL = "Claims Portal <news@news.example.org>"
    yield standin
    standin.stop()


def audience(count, categories, make_item, **fields):
    """`count` weekly subscribers, a third each: every topic, Update, MI."""
    make_item(title="Insurer Index v232", category=categories[0])
    make_item(title="Monthly MI report", category=categories[1])
    long_ago = timezone.now() - datetime.timedelta(days=30)
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(
            email=f"reader{n:05d}@example.com",
            status=Subscriber.Status.CONFIRMED,
            frequency="weekly",
            confirmed_at=long_ago,
            digested_until=long_ago,
            **fields,
        )
        for n in range(count)
    )
    through = Subscriber.topics.through
    through.objects.bulk_create(
        through(subscriber_id=s.pk, category_id=categories[n % 3 - 1].pk)
        for n, s in enumerate(subscribers)
        if n % 3
    )
    return subscribers


def send_digest():
    digest = schedules.forced_digest("weekly")
    with mock.patch.object(tasks, "start_sending"):
        count = digests.build(digest.pk)
    while sending.send_chunk(digest.pk).more:
        pass
    return digest, count


def test_batches_of_personalised_copies(mailgun, settings, categories, make_item):
    settings.NEWSLETTER_BATCH_SIZE = 200
    settings.NEWSLETTER_CHUNK_SIZE = 500
    audience(1200, categories, make_item)
    digest, count = send_digest()
    assert count == 1200
    # Batches of at most 200 (one call per variant of each 500-row chunk),
    # not one call per recipient.
    assert sum(mailgun.calls) == 1200
    assert max(mailgun.calls) <= 200 and len(mailgun.calls) <= 12, mailgun.calls
    copies = {copy.to: copy for copy in mailgun.copies}
    assert len(copies) == 1200 == len(mailgun.copies)
    rows = Delivery.objects.filter(digest=digest)
    assert set(rows.values_list("status", "provider_status")) == {("sent", "queued")}
    assert rows.exclude(provider_message_id__startswith="<standin.").count() == 0
    # Each copy carries its recipient's own links, and only theirs.
    everyone, update_only = copies["reader00000@example.com"], copies["reader00001@example.com"]
    assert "Insurer Index v232" in everyone.html and "Monthly MI report" in everyone.html
    assert "Monthly MI report" not in update_only.html
    for copy in (everyone, update_only):
        header = copy.headers["List-Unsubscribe"]
        assert header.startswith("<") and "/newsletter/unsubscribe/" in header
        url = header[1:-1]
        assert url in copy.html and url in copy.text
        assert "%recipient" not in copy.html + copy.text + header
        assert copy.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert copy.metadata == {"digest": str(digest.pk)}
    assert everyone.headers["List-Unsubscribe"] != update_only.headers["List-Unsubscribe"]
    # The one-click header of one copy unsubscribes that subscriber alone.
    url = everyone.headers["List-Unsubscribe"][1:-1]
    response = Client().post(
        path_of(url, settings), "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    unsubscribed = Subscriber.objects.filter(status="unsubscribed")
    assert list(unsubscribed.values_list("email", flat=True)) == ["reader00000@example.com"]


@pytest.mark.parametrize(
    "address, refused_by",
    [("broken@@example.com", "Anymail"), ("someone@intranet", "the service")],
)
def test_a_batch_refused_whole_for_one_bad_address_is_split_until_it_is_alone(
    address, refused_by, mailgun, settings, categories, make_item
):
    """Anymail refuses to build a call with a malformed address, and Mailgun
    answers 400 to a call with one address it cannot take among many: the
    batch is split until the culprit is alone."""
    settings.NEWSLETTER_BATCH_SIZE = 100
    subscribers = audience(90, categories, make_item)
    Subscriber.objects.filter(pk=subscribers[3 * 17].pk).update(email=address)
    send_digest()
    statuses = collections.Counter(Delivery.objects.values_list("status", flat=True))
    assert statuses == {"sent": 89, "failed": 1}
    failed = Delivery.objects.get(status="failed")
    assert failed.subscriber.email == address
    assert failed.provider_status == "invalid"
    assert failed.subscriber.status == Subscriber.Status.SUPPRESSED
    assert mailgun.received() == 89
    assert all(status == 400 for status, _ in mailgun.refused)
    assert bool(mailgun.refused) == (refused_by == "the service")


def test_a_service_error_retries_the_batch_and_sends_nothing_twice(
    mailgun, settings, categories, make_item
):
    settings.NEWSLETTER_BATCH_SIZE = 500
    audience(30, categories, make_item)
    mailgun.fail_next = [503] * 3  # the three variants' calls
    digest, _ = send_digest()
    assert mailgun.received() == 0
    rows = Delivery.objects.filter(digest=digest)
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    assert all(row.next_attempt_at > timezone.now() for row in rows)  # with backoff
    assert "503" in rows.first().error
    rows.update(next_attempt_at=timezone.now())
    while sending.send_chunk(digest.pk).more:
        pass
    assert mailgun.received() == 30
    assert collections.Counter(c.to for c in mailgun.copies).most_common(1)[0][1] == 1


def test_a_crash_after_the_call_repeats_at_most_that_batch(
    mailgun, settings, categories, make_item
):
    """The worker dies between the service's answer and the marks: the rows
    of that call go out again, nobody else's."""
    settings.NEWSLETTER_BATCH_SIZE = 20
    settings.NEWSLETTER_CHUNK_SIZE = 60
    audience(60, categories, make_item)
    digest = schedules.forced_digest("weekly")
    with mock.patch.object(tasks, "start_sending"):
        digests.build(digest.pk)
    # Killed: nothing after the call runs, not even the chunk's own settling.
    crash = mock.patch.object(sending.Chunk, "accepted", side_effect=SystemExit("killed"))
    with crash, mock.patch.object(sending.Chunk, "settle"), pytest.raises(SystemExit):
        sending.send_chunk(digest.pk)
    assert mailgun.received() == 20  # one call went out before the "crash"
    assert Delivery.objects.filter(status="sending").count() == 60
    # Its worker is gone: the sweeper hands the rows on once the lease runs out.
    Delivery.objects.update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    returned, _ = sending.sweep()
    assert returned == 60
    while sending.send_chunk(digest.pk).more:
        pass
    received = collections.Counter(copy.to for copy in mailgun.copies)
    assert len(received) == 60
    repeated = [to for to, n in received.items() if n > 1]
    assert len(repeated) <= 20 and set(received.values()) <= {1, 2}
    assert Delivery.objects.filter(status="sent").count() == 60


class AnswersPerRecipient(AnymailTestBackend):
    """Anymail's test backend as a batch service ("Mailgun" for the transport)
    answering for each recipient by the start of its address."""

    esp_name = "Mailgun"

    def post_to_esp(self, payload, message):
        response = super().post_to_esp(payload, message)
        for address in list(response["recipient_status"]):
            status = address.split("-")[0] if "-" in address else "queued"
            response["recipient_status"][address] = AnymailRecipientStatus(
                message_id=f"id-{address}", status=status
            )
        return response


def test_the_services_answer_for_each_recipient_lands_on_its_delivery(
    settings, make_item, make_subscriber
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.AnswersPerRecipient"}}
    mail.outbox = []
    make_item()
    for name in ["queued-a", "sent-b", "rejected-c", "invalid-d", "failed-e", "plain"]:
        make_subscriber(email=f"{name}@example.com")
    digest, _ = send_digest()
    (message,) = mail.outbox  # one call for all six
    assert message.anymail_test_params["is_batch_send"]
    assert set(message.merge_data) == set(message.to)
    rows = {
        d.subscriber.email.split("@")[0]: d
        for d in Delivery.objects.filter(digest=digest).select_related("subscriber")
    }
    outcome = {name: (d.status, d.provider_status) for name, d in rows.items()}
    assert outcome == {
        "queued-a": ("sent", "queued"),
        "sent-b": ("sent", "sent"),
        "rejected-c": ("failed", "rejected"),
        "invalid-d": ("failed", "invalid"),
        "failed-e": ("pending", ""),  # the service could not send it now: retried
        "plain": ("sent", "queued"),
    }
    assert rows["sent-b"].provider_message_id == "id-sent-b@example.com"
    suppressed = Subscriber.objects.filter(status="suppressed").values_list("email", flat=True)
    assert set(suppressed) == {"rejected-c@example.com", "invalid-d@example.com"}
