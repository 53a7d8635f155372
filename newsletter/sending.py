"""Sending a digest's deliveries so that a crash loses nothing and nothing
goes out twice, at the rate the service allows, and only while the digest is
meant to be sending.

1. claim() takes due pending rows of a digest that is sending, with SELECT …
   FOR UPDATE SKIP LOCKED, and gives them a lease, which the worker renews
   while it is alive.
2. send_chunk() hands the claimed rows to a transport (newsletter.transports):
   bytes over one SMTP connection, each row marked sent as the server accepts
   it (a crash repeats at most the message in flight); an email service's
   batch API, NEWSLETTER_BATCH_SIZE recipients a call, each row marked from
   the service's per-recipient answer (a crash repeats at most that batch);
   or one message at a time through any other mailer.
3. Before each batch the chunk's Gate checks that the digest is still
   sending (paused and cancelled digests stop within a batch), takes the
   batch's share of the shared rate limit (newsletter.throttle, waiting when
   it cannot be read), and renews the lease.
4. Failures are classified: temporary ones retry with backoff, permanent ones
   fail the row and suppress the address. Rows a chunk did not get to go
   back to the queue (paused, throttled) or are cancelled, so a claimed row
   never stays "sending" once its worker has finished.
5. sweep() returns rows whose lease ran out (their worker died) and names
   the digests that need send tasks again (tasks queues them)."""

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from news.selectors import published_since

from . import brakes, throttle
from .digests import topics_by_subscriber
from .emails import DigestRenderer
from .models import Delivery, Digest, Subscriber
from .services import suppress

log = logging.getLogger(__name__)

OPEN = [Delivery.Status.PENDING, Delivery.Status.SENDING]
# What sending reads of a claimed delivery and its subscriber.
SENDING_FIELDS = [
    "since", "attempts", "subscriber__email", "subscriber__public_id", "subscriber__secret",
    "subscriber__status",
]
# How long a worker waits for a rate limit it cannot read (Redis down) before
# giving its rows back, and when it tries again.
LIMIT_UNAVAILABLE_WAIT = 120
LIMIT_UNAVAILABLE_RETRY = 60


def claim(digest_id, size):
    """Take up to `size` due pending deliveries of a sending digest for this worker."""
    now = timezone.now()
    with transaction.atomic():
        if not Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).exists():
            return []
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
        self.pks = pks
        self.renewed = time.monotonic()

    def renew_if_due(self):
        seconds = settings.NEWSLETTER_LEASE_SECONDS
        if time.monotonic() - self.renewed < seconds / 3:
            return
        Delivery.objects.filter(pk__in=self.pks, status=Delivery.Status.SENDING).update(
            lease_until=timezone.now() + timedelta(seconds=seconds)
        )
        self.renewed = time.monotonic()


class Stop(Exception):
    """The chunk stops before its next batch."""

    PAUSED = "paused"
    CANCELLED = "cancelled"
    WAITING = "waiting"  # for the rate limit: the rows go back with a delay

    def __init__(self, reason, retry_in=None, resume_at=None):
        super().__init__(reason)
        self.reason = reason
        self.retry_in = retry_in  # seconds
        self.resume_at = resume_at  # the day's quota renews then: the whole digest waits


class Gate:
    """What a chunk passes before each batch: the digest still sending, the
    batch's share of the shared sending rate, and a live lease."""

    def __init__(self, digest_id, pks):
        self.digest_id = digest_id
        self.lease = Lease(pks)
        self.limit = throttle.SendingLimit() if throttle.active() else None

    def admit(self, wanted):
        """How many of the next `wanted` messages may go now (at least one);
        raises Stop when the chunk must stop instead."""
        started = time.monotonic()
        warned = False
        while True:
            self.lease.renew_if_due()
            self.check_digest()
            if self.limit is None:
                return wanted
            try:
                grant = self.limit.take(wanted)
            except throttle.Unavailable as error:
                # Fail closed: no message goes out unmetered.
                if not warned:
                    log.warning("Sending limit unavailable, waiting: %s", error)
                    warned = True
                if time.monotonic() - started > LIMIT_UNAVAILABLE_WAIT:
                    raise Stop(Stop.WAITING, retry_in=LIMIT_UNAVAILABLE_RETRY) from error
                time.sleep(1)
                continue
            if grant.count:
                return grant.count
            if grant.renews_at is not None:
                raise Stop(Stop.WAITING, retry_in=grant.wait, resume_at=grant.renews_at)
            time.sleep(min(grant.wait, 1.0))

    def check_digest(self):
        status = (
            Digest.objects.filter(pk=self.digest_id).values_list("status", flat=True).first()
        )
        if status == Digest.Status.CANCELLED:
            raise Stop(Stop.CANCELLED)
        if status != Digest.Status.SENDING:
            raise Stop(Stop.PAUSED)


@dataclass
class Job:
    """One message to send: a claimed delivery, the items and the extra
    sections (for the subscriber's topics) it carries."""

    delivery: Delivery
    items: list
    sections: list

    @property
    def subscriber(self):
        return self.delivery.subscriber

    @property
    def variant(self):
        return tuple(item.pk for item in self.items), repr(self.sections)


@dataclass
class ChunkResult:
    sent: int
    retry_in: float | None  # seconds until rows put back with a delay are due
    more: bool  # rows may be left: queue the next chunk
    braked: bool = False  # the complaint or bounce brake paused the digest


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


class Chunk:
    """The deliveries one task claimed, and what happened to each. Transports
    take batches() and report each delivery's outcome; whatever they did not
    get to is settled by settle() at the end."""

    def __init__(self, digest, deliveries, renderer, topics):
        self.digest = digest
        self.deliveries = deliveries
        self.renderer = renderer
        self.topics = topics
        self.gate = Gate(digest.pk, [d.pk for d in deliveries])
        self.settled = set()
        self.sent = 0
        self.retry_in = None
        self.stop = None
        self.rejected = 0
        self.braked = False

    def batches(self, size, variants=False):
        """Yields lists of at most `size` Jobs that may be sent now; rows that
        need no email are settled as skipped on the way, without using the
        rate limit. With `variants`, each batch holds one variant (the same
        items and sections), for transports that send one message to many. Ends early,
        with self.stop set, when the gate says so."""
        jobs = [job for job in map(self._job, self.deliveries) if job is not None]
        if variants:  # the same items together, in their first row's order
            order = {}
            for job in jobs:
                order.setdefault(job.variant, len(order))
            jobs.sort(key=lambda job: order[job.variant])
        queue = list(reversed(jobs))
        checked = 0
        while queue:
            if self.rejected > checked:  # refusals while sending count as bounces
                checked = self.rejected
                self.braked = self.braked or brakes.check(self.digest.pk)
            batch = [queue.pop()]
            while queue and len(batch) < size and (
                not variants or queue[-1].variant == batch[0].variant
            ):
                batch.append(queue.pop())
            try:
                admitted = self.gate.admit(len(batch))
            except Stop as stop:
                self.stop = stop
                return
            queue.extend(reversed(batch[admitted:]))
            yield batch[:admitted]

    def _job(self, delivery):
        subscriber = delivery.subscriber
        if subscriber.status != Subscriber.Status.CONFIRMED:
            self.finish(delivery, Delivery.Status.SKIPPED, f"Subscriber is {subscriber.status}.")
            return None
        topic_ids = self.topics.get(subscriber.pk)
        items = self.renderer.items_for(delivery.since, topic_ids)
        sections = self.renderer.sections_for(topic_ids)
        if not self.renderer.has_news(items, sections):  # unpublished since it was built
            self.finish(delivery, Delivery.Status.SKIPPED, "No items left to send.")
            return None
        return Job(delivery, items, sections)

    # --- outcomes

    def finish(self, delivery, status, error="", provider_status=""):
        values = {"status": status, "error": error[:500], "provider_status": provider_status}
        if status == Delivery.Status.SENT:
            values["sent_at"] = timezone.now()
            self.sent += 1
        Delivery.objects.filter(pk=delivery.pk).update(**values)
        self.settled.add(delivery.pk)

    def marked_sent(self, delivery):
        """A transport recorded the delivery as sent itself (fast_send.sent_marks)."""
        self.sent += 1
        self.settled.add(delivery.pk)

    def accepted(self, deliveries_and_answers):
        """Record deliveries an email service accepted, with its answer for
        each ((delivery, status, message id)): one UPDATE per distinct answer
        (a call usually has one id for all its recipients)."""
        groups = {}
        for delivery, status, message_id in deliveries_and_answers:
            key = (status, str(message_id or "")[:200])
            groups.setdefault(key, []).append(delivery.pk)
        now = timezone.now()
        for (status, message_id), pks in groups.items():
            Delivery.objects.filter(pk__in=pks).update(
                status=Delivery.Status.SENT,
                sent_at=now,
                error="",
                provider_status=status,
                provider_message_id=message_id,
            )
            self.settled.update(pks)
            self.sent += len(pks)

    def refused(self, delivery, error):
        """A line break or other defect in an address or header: refused before
        anything reaches the server (no header injection)."""
        self.finish(delivery, Delivery.Status.FAILED, f"Refused: {error}")

    def rejected_permanently(self, delivery, text, provider_status="rejected"):
        self.finish(delivery, Delivery.Status.FAILED, text, provider_status)
        suppress(delivery.subscriber)
        self.rejected += 1

    def retry(self, deliveries, error):
        delay = _retry(deliveries, error)
        self.settled.update(d.pk for d in deliveries)
        if delay is not None:
            self.retry_in = min(self.retry_in or 10**9, delay)

    def retry_the_rest(self, error):
        """The connection is gone: give every row not settled yet back."""
        self.retry([d for d in self.deliveries if d.pk not in self.settled], error)

    def settle(self):
        """Rows the chunk did not get to: back to the queue when it paused or
        waits for the rate limit (the claim's attempt does not count), or
        cancelled with the digest."""
        rest = [d.pk for d in self.deliveries if d.pk not in self.settled]
        if not rest:
            return
        rows = Delivery.objects.filter(pk__in=rest, status=Delivery.Status.SENDING)
        if self.stop is not None and self.stop.reason == Stop.CANCELLED:
            rows.update(status=Delivery.Status.CANCELLED, error="Digest cancelled.")
            return
        retry_in = self.stop.retry_in if self.stop is not None else None
        resume_at = self.stop.resume_at if self.stop is not None else None
        due = resume_at or timezone.now() + timedelta(seconds=retry_in or 0)
        rows.update(
            status=Delivery.Status.PENDING, next_attempt_at=due, attempts=F("attempts") - 1
        )
        if resume_at is not None:
            # The rest of the digest waits for tomorrow too, instead of being
            # claimed chunk by chunk only to be put back.
            Delivery.objects.filter(
                digest_id=self.digest.pk, status=Delivery.Status.PENDING, next_attempt_at__lt=due
            ).update(next_attempt_at=due)
        if retry_in is not None and retry_in <= 3600:
            self.retry_in = min(self.retry_in or 10**9, retry_in)

    def result(self):
        if self.rejected:
            self.braked = self.braked or brakes.check(self.digest.pk)
        return ChunkResult(self.sent, self.retry_in, more=self.stop is None, braked=self.braked)


def send_chunk(digest_id):
    """Claim and send one chunk; returns a ChunkResult."""
    from .transports import transport_for

    transport = transport_for()
    pks = claim(digest_id, transport.chunk_size)
    if not pks:
        return ChunkResult(0, None, more=False)
    digest = Digest.objects.get(pk=digest_id)
    deliveries = list(
        Delivery.objects.filter(pk__in=pks)
        .select_related("subscriber")
        .only(*SENDING_FIELDS)
        .order_by("pk")
    )
    topics = topics_by_subscriber([d.subscriber_id for d in deliveries])
    oldest = min(d.since for d in deliveries)
    renderer = DigestRenderer(
        digest, published_since(oldest, until=digest.until).select_related("category")
    )
    chunk = Chunk(digest, deliveries, renderer, topics)
    try:
        transport.send(chunk)
    finally:
        chunk.settle()
    return chunk.result()


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
    """Mark a sending digest done once no delivery is pending or sending; a
    cancelled one gets its finishing time once no worker holds its rows (and
    any row put back meanwhile is cancelled too). True if it is finished."""
    status = Digest.objects.filter(pk=digest_id).values_list("status", flat=True).first()
    rows = Delivery.objects.filter(digest_id=digest_id)
    now = timezone.now()
    if status == Digest.Status.CANCELLED:
        rows.filter(status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED, error="Digest cancelled."
        )
        if rows.filter(status=Delivery.Status.SENDING).exists():
            return False
        Digest.objects.filter(pk=digest_id, finished_at=None).update(finished_at=now)
        return True
    if status == Digest.Status.DONE:
        return True
    if status != Digest.Status.SENDING or rows.filter(status__in=OPEN).exists():
        return False
    Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).update(
        status=Digest.Status.DONE, finished_at=now
    )
    return True


# ---------------------------------------------------------------- pause, resume, cancel


def pause(digest, reason):
    """Stop a sending digest: workers stop before their next batch and put
    their rows back. True if it was sending."""
    return bool(
        Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
            status=Digest.Status.PAUSED, stop_reason=reason[:300]
        )
    )


@transaction.atomic
def resume(digest):
    """Let a paused digest send the rest (tasks.start_sending queues the
    workers). Resuming after the brake paused it overrides the brake for this
    digest. True if it was paused."""
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    if digest.status != Digest.Status.PAUSED:
        return False
    digest.status = Digest.Status.SENDING
    digest.brake_overridden = digest.brake_overridden or digest.braked_at is not None
    digest.stop_reason = ""
    digest.save(update_fields=["status", "brake_overridden", "stop_reason"])
    return True


@transaction.atomic
def cancel(digest, reason):
    """Cancel the rest of a digest: rows not sent yet are cancelled (a
    worker's claimed rows as soon as it reaches its next batch)."""
    updated = Digest.objects.filter(
        pk=digest.pk, status__in=[Digest.Status.SENDING, Digest.Status.PAUSED]
    ).update(status=Digest.Status.CANCELLED, stop_reason=reason[:300])
    if updated:
        Delivery.objects.filter(digest_id=digest.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED, error="Digest cancelled."
        )
    return bool(updated)


def sweep():
    """Return deliveries whose lease ran out (their worker died) to "pending"
    (or cancel them with their digest). Returns (rows returned, {digest id:
    due pending rows} of the sending digests that no live worker is sending,
    which need send tasks)."""
    now = timezone.now()
    expired = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now)
    expired.filter(digest__status=Digest.Status.CANCELLED).update(
        status=Delivery.Status.CANCELLED, error="Digest cancelled."
    )
    returned = expired.update(status=Delivery.Status.PENDING, next_attempt_at=now)
    live = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__gte=now)
    pending = (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            digest__status=Digest.Status.SENDING,
        )
        .exclude(digest_id__in=live.values("digest_id"))
        .values("digest_id")
        .annotate(count=Count("pk"))
    )
    idle = {row["digest_id"]: row["count"] for row in pending}
    for digest_id in Digest.objects.filter(
        status__in=[Digest.Status.SENDING, Digest.Status.CANCELLED], finished_at=None
    ).values_list("pk", flat=True):
        finish_if_done(digest_id)
    return returned, idle
