"""Sending a digest's deliveries so that a crash loses nothing.

1. claim() takes pending rows with SELECT … FOR UPDATE SKIP LOCKED and gives
   them a lease, which the worker renews while it is alive (Lease).
2. send_chunk() sends them over one connection and marks each row sent as
   soon as the server accepts it (fast_send.SentMarks), so a crash repeats at
   most the one message in flight. Failures are classified: temporary ones
   retry with backoff, permanent ones fail the row and suppress the address.
3. sweep() returns rows whose lease ran out (their worker died) to "pending"
   and names the digests that need send tasks again (tasks queues them)."""

import logging
import smtplib
import time
from datetime import timedelta

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from news.selectors import published_since

from . import fast_send
from .digests import topics_by_subscriber
from .emails import DigestRenderer, mailer
from .models import Delivery, Digest, Subscriber
from .services import suppress

log = logging.getLogger(__name__)


def claim(digest_id, size):
    """Take up to `size` due pending deliveries for this worker."""
    now = timezone.now()
    with transaction.atomic():
        pks = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(digest_id=digest_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        Delivery.objects.filter(pk__in=pks).update(
            status=Delivery.Status.SENDING,
            claimed_at=now,
            lease_until=now + timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    return pks


class Lease:
    """Keeps this worker's claim on its deliveries alive: renewed every third
    of the lease while messages go out, so that rows of a worker that died are
    free again within one lease."""

    def __init__(self, pks):
        self.pks = sorted(pks)  # the order the chunk is sent in
        self.renewed = time.monotonic()

    def renew_if_due(self, done, before_query):
        """`done`: how many of the chunk's rows are finished."""
        seconds = settings.NEWSLETTER_LEASE_SECONDS
        if time.monotonic() - self.renewed < seconds / 3:
            return
        before_query()
        Delivery.objects.filter(pk__in=self.pks[done:], status=Delivery.Status.SENDING).update(
            lease_until=timezone.now() + timedelta(seconds=seconds)
        )
        self.renewed = time.monotonic()


TEMPORARY = "temporary"
PERMANENT = "permanent"


def classify(error, recipient):
    """(kind, message) for a sending failure: SMTP 4xx, lost connections and an
    email service's API errors are temporary; 5xx and an email service refusing
    the recipient are permanent."""
    code = None
    if isinstance(error, AnymailRecipientsRefused):
        return PERMANENT, f"Refused by the email service: {error}"[:500]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = error.recipients.get(recipient, (None,))[0]
        if code is None and error.recipients:
            code = next(iter(error.recipients.values()))[0]
    elif isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
    text = f"{code or ''} {error}".strip()[:500]
    if code is not None and 500 <= code < 600:
        return PERMANENT, text
    return TEMPORARY, text


def backoff(attempts):
    """Seconds before the next try: 1, 2, 4, 8… minutes by default."""
    return settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)


def send_chunk(digest_id):
    """Send one claimed chunk. Returns (sent, retry_in_seconds or None, claimed)."""
    pks = claim(digest_id, settings.NEWSLETTER_CHUNK_SIZE)
    if not pks:
        return 0, None, 0
    digest = Digest.objects.get(pk=digest_id)
    deliveries = list(
        Delivery.objects.filter(pk__in=pks).select_related("subscriber").order_by("pk")
    )
    topics = topics_by_subscriber([d.subscriber_id for d in deliveries])
    oldest = min(d.since for d in deliveries)
    renderer = DigestRenderer(
        digest, published_since(oldest, until=digest.until).select_related("category")
    )
    with fast_send.fast_commits():
        return _send(digest, deliveries, renderer, topics, pks)


def _send(digest, deliveries, renderer, topics, pks):
    sent, retry_in = 0, None
    connection = mailer()
    try:
        connection.open()
    except OSError as error:
        log.warning("Cannot reach the mail server: %s", error)
        return 0, _retry(deliveries, str(error)), len(pks)
    # Prebuilt MIME bytes only over SMTP; an email service's backend gets messages.
    sender = fast_send.SmtpByteSender.for_connection(connection)
    marks = fast_send.SentMarks()
    lease = Lease(pks)
    try:
        for index, delivery in enumerate(deliveries):
            lease.renew_if_due(index, marks.collect)
            subscriber = delivery.subscriber
            if subscriber.status != Subscriber.Status.CONFIRMED:
                marks.collect()
                _finish(delivery, Delivery.Status.SKIPPED, f"Subscriber is {subscriber.status}.")
                continue
            items = renderer.items_for(delivery.since, topics.get(subscriber.pk))
            sections = renderer.sections_for(topics.get(subscriber.pk))
            if not renderer.has_news(items, sections):  # unpublished since it was built
                marks.collect()
                _finish(delivery, Delivery.Status.SKIPPED, "No items left to send.")
                continue
            try:
                data = renderer.message_bytes(subscriber, items, sections) if sender else None
                if data is not None:
                    sender.send(subscriber.email, data)
                else:
                    connection.send_messages([renderer.message(subscriber, items, sections)])
            except ValueError as error:
                # A line break or other defect in an address or header: refused
                # before anything reaches the server (no header injection).
                marks.collect()
                _finish(delivery, Delivery.Status.FAILED, f"Refused: {error}"[:500])
                continue
            except (smtplib.SMTPException, OSError, AnymailError) as error:
                marks.collect()
                kind, text = classify(error, subscriber.email)
                if kind == PERMANENT:
                    _finish(delivery, Delivery.Status.FAILED, text)
                    suppress(subscriber)
                    continue
                lost = isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(
                    error, smtplib.SMTPException
                )
                if lost:
                    # The connection is gone: give the rest of the chunk back.
                    retry_in = _retry(deliveries[index:], text)
                    break
                retry_in = min(retry_in or 10**9, _retry([delivery], text))
                continue
            marks.mark(delivery)
            sent += 1
    finally:
        marks.close()
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            pass
    return sent, retry_in, len(pks)


def _finish(delivery, status, error=""):
    values = {"status": status, "error": error}
    if status == Delivery.Status.SENT:
        values["sent_at"] = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(**values)


def _retry(deliveries, error):
    """Put deliveries back with a delay, or fail those out of attempts; returns
    the delay in seconds, or None if none will be retried."""
    retry, give_up = [], []
    for delivery in deliveries:
        (give_up if delivery.attempts >= settings.NEWSLETTER_MAX_ATTEMPTS else retry).append(
            delivery.pk
        )
    Delivery.objects.filter(pk__in=give_up).update(
        status=Delivery.Status.FAILED, error=f"Gave up: {error}"[:500]
    )
    if not retry:
        return None
    attempts = max(d.attempts for d in deliveries if d.pk in set(retry))
    delay = backoff(attempts)
    Delivery.objects.filter(pk__in=retry).update(
        status=Delivery.Status.PENDING,
        error=error[:500],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return delay


def finish_if_done(digest_id):
    """Mark the digest done once no delivery is pending or sending."""
    open_rows = Delivery.objects.filter(
        digest_id=digest_id, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    )
    if not open_rows.exists():
        Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).update(
            status=Digest.Status.DONE, finished_at=timezone.now()
        )
        return True
    return False


def sweep():
    """Return deliveries whose lease ran out (their worker died) to "pending".
    Returns (rows returned, {digest id: due pending rows} of the digests that
    no live worker is sending, which need send tasks)."""
    now = timezone.now()
    returned = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now).update(
        status=Delivery.Status.PENDING, next_attempt_at=now
    )
    live = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__gte=now)
    pending = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .exclude(digest_id__in=live.values("digest_id"))
        .values("digest_id")
        .annotate(count=Count("pk"))
    )
    idle = {row["digest_id"]: row["count"] for row in pending}
    for digest_id in Digest.objects.filter(status=Digest.Status.SENDING).values_list(
        "pk", flat=True
    ):
        finish_if_done(digest_id)
    return returned, idle
