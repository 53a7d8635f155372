"""Digests: which are due, who gets what, and sending that survives crashes.

1. due_digests() names each frequency's current period; Digest rows are unique
   per (frequency, period), so a second beat makes nothing new.
2. build() creates every Delivery row of a digest in one transaction, and moves
   each subscriber's "digested until" mark forward in the same transaction:
   no item is sent twice, and none is skipped.
3. send_chunk() claims pending rows with SELECT … FOR UPDATE SKIP LOCKED, sends
   them over one SMTP connection and marks each row sent as soon as the server
   accepts it. A crash can therefore repeat at most the one message in flight.
4. sweep() returns rows stuck in "sending" (their worker died) to "pending".
"""

import calendar
import logging
import smtplib
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from news.selectors import published_since
from portal_site import page_cache

from .emails import DigestRenderer, mailer
from .models import Delivery, Digest, DigestSchedule, Frequency, Subscriber
from .services import suppress

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- schedules


def _floor(moment, minutes):
    moment = moment.replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % minutes)


def current_period(schedule, now=None):
    """(period, until) of the schedule's current period if it is due, else None."""
    now = timezone.localtime(now or timezone.now())
    if schedule.frequency == Frequency.IMMEDIATE:
        # Items published within the same few minutes go out together; the lag
        # lets the transaction that published an item commit before we look.
        until = _floor(
            now - timedelta(seconds=settings.NEWSLETTER_PUBLISH_LAG),
            settings.NEWSLETTER_BATCH_MINUTES,
        )
        return until.strftime("%Y-%m-%dT%H:%M"), until
    if schedule.frequency == Frequency.WEEKLY:
        monday = now.date() - timedelta(days=now.weekday())
        day = monday + timedelta(days=schedule.weekday)
        until = timezone.make_aware(datetime(day.year, day.month, day.day, schedule.hour))
        year, week, _ = now.isocalendar()
        period = f"{year}-W{week:02d}"
    else:
        last_day = calendar.monthrange(now.year, now.month)[1]
        day = min(schedule.day, last_day)
        until = timezone.make_aware(datetime(now.year, now.month, day, schedule.hour))
        period = f"{now.year}-{now.month:02d}"
    return (period, until) if now >= until else None


def ensure_schedules():
    for frequency in Frequency.values:
        DigestSchedule.objects.get_or_create(frequency=frequency)


def due_digests(now=None):
    """Create the Digest row of every enabled schedule that is due; return them."""
    ensure_schedules()
    digests = []
    for schedule in DigestSchedule.objects.filter(enabled=True):
        due = current_period(schedule, now)
        if due is None:
            continue
        period, until = due
        digest = get_or_create_digest(schedule.frequency, period, until)
        if digest.status == Digest.Status.NEW:
            digests.append(digest)
    return digests


def get_or_create_digest(frequency, period, until):
    try:
        with transaction.atomic():
            digest, _ = Digest.objects.get_or_create(
                frequency=frequency, period=period, defaults={"until": until}
            )
    except IntegrityError:  # another beat made it at the same moment
        digest = Digest.objects.get(frequency=frequency, period=period)
    return digest


def forced_digest(frequency, now=None):
    """A digest of everything due to `frequency` subscribers up to now (staff's "send now")."""
    now = now or timezone.now()
    period = "now-" + timezone.localtime(now).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return get_or_create_digest(frequency, period, now)


# ---------------------------------------------------------------- building


def _topics_by_subscriber(subscriber_ids):
    through = Subscriber.topics.through
    topics = {}
    for subscriber_id, category_id in through.objects.filter(
        subscriber_id__in=subscriber_ids
    ).values_list("subscriber_id", "category_id"):
        topics.setdefault(subscriber_id, set()).add(category_id)
    return topics


def build(digest_id):
    """Create the digest's Delivery rows; returns how many, or None if it was
    already built. Subscribers with nothing new get no row and no email."""
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest_id)
        if digest.status != Digest.Status.NEW:
            return None
        subscribers = Subscriber.objects.confirmed().filter(
            frequency=digest.frequency, digested_until__lt=digest.until
        )
        oldest = subscribers.aggregate(oldest=Min("digested_until"))["oldest"]
        items = []
        if oldest is not None:
            items = list(
                published_since(oldest, until=digest.until).values_list(
                    "published_at", "category_id"
                )
            )
        count = 0
        batch_size = settings.NEWSLETTER_BUILD_BATCH
        rows = subscribers.order_by("pk").values_list("pk", "digested_until")
        # Keyset pagination keeps memory flat however many subscribers there are.
        last_pk = 0
        while items:
            batch = list(rows.filter(pk__gt=last_pk)[:batch_size])
            if not batch:
                break
            last_pk = batch[-1][0]
            topics = _topics_by_subscriber([pk for pk, _ in batch])
            deliveries = []
            for pk, since in batch:
                wanted = topics.get(pk)
                if any(
                    published_at > since and (wanted is None or category_id in wanted)
                    for published_at, category_id in items
                ):
                    deliveries.append(Delivery(digest=digest, subscriber_id=pk, since=since))
            Delivery.objects.bulk_create(deliveries, batch_size=batch_size)
            count += len(deliveries)
        # Everything up to `until` is now either in a delivery or not wanted.
        subscribers.update(digested_until=digest.until)
        digest.status = Digest.Status.SENDING if count else Digest.Status.DONE
        if not count:
            digest.finished_at = timezone.now()
        digest.recipients = count
        # The web version covers what came since the previous digest of the frequency.
        digest.since = (
            Digest.objects.filter(frequency=digest.frequency, until__lt=digest.until)
            .exclude(pk=digest.pk)
            .order_by("-until")
            .values_list("until", flat=True)
            .first()
        ) or oldest
        digest.save(update_fields=["status", "finished_at", "recipients", "since"])
        if count:
            page_cache.invalidate()  # the archive gains a digest
    if count:
        start_sending(digest.pk, count)
    return count


def start_sending(digest_id, count=None):
    """Queue enough send tasks to work through the digest in parallel."""
    from .tasks import send_digest_chunk

    if count is None:
        count = Delivery.objects.filter(digest_id=digest_id, status=Delivery.Status.PENDING).count()
    chunks = -(-count // settings.NEWSLETTER_CHUNK_SIZE)
    for _ in range(min(chunks, settings.NEWSLETTER_PARALLEL_CHUNKS)):
        send_digest_chunk.delay_on_commit(digest_id)
    return count


# ---------------------------------------------------------------- sending


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
    topics = _topics_by_subscriber([d.subscriber_id for d in deliveries])
    oldest = min(d.since for d in deliveries)
    renderer = DigestRenderer(
        digest, published_since(oldest, until=digest.until).select_related("category")
    )
    with _fast_commits():
        return _send(digest, deliveries, renderer, topics, pks)


@contextmanager
def _fast_commits():
    """On PostgreSQL, don't wait for the disk on each "sent" mark. A worker crash
    loses nothing (the server has the commit); only a database crash could lose
    the last fraction of a second of marks, which at worst repeats those messages.
    Without it every message would wait for a disk flush."""
    if db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _send(digest, deliveries, renderer, topics, pks):
    sent, retry_in = 0, None
    connection = mailer()
    try:
        connection.open()
    except OSError as error:
        log.warning("Cannot reach the mail server: %s", error)
        return 0, _retry(deliveries, str(error)), len(pks)
    # Prebuilt MIME bytes only over SMTP; an email service's backend builds its own.
    prebuilt = isinstance(connection, SMTPBackend)
    marks = SentMarks()
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
            if not items:  # unpublished since the digest was built
                marks.collect()
                _finish(delivery, Delivery.Status.SKIPPED, "No items left to send.")
                continue
            try:
                connection.send_messages([renderer.message(subscriber, items, prebuilt)])
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


class SentMarks:
    """Marks deliveries sent, one UPDATE per message, issued the moment the mail
    server has accepted it.

    On PostgreSQL the UPDATE is sent without waiting for the reply, which is
    collected before the next statement: the next message's SMTP exchange
    overlaps the database round trip. The server runs and commits a statement
    it has received even if this worker dies a moment later, so a crash still
    repeats at most the message in flight. Elsewhere it is a plain UPDATE."""

    TABLE = Delivery._meta.db_table
    PG_SQL = f"UPDATE {TABLE} SET status = 'sent', sent_at = $1, error = '' WHERE id = $2".encode()

    def __init__(self):
        self.pgconn = None
        self.waiting = False
        if db_connection.vendor == "postgresql":
            db_connection.ensure_connection()
            if not db_connection.in_atomic_block:
                self.pgconn = db_connection.connection.pgconn
        self.cursor = None if self.pgconn else db_connection.cursor()

    def mark(self, delivery):
        now = timezone.now()
        if self.pgconn is None:
            self.cursor.execute(
                f"UPDATE {self.TABLE} SET status = %s, sent_at = %s, error = '' WHERE id = %s",
                [
                    Delivery.Status.SENT,
                    db_connection.ops.adapt_datetimefield_value(now),
                    delivery.pk,
                ],
            )
            return
        self.collect()
        self.pgconn.send_query_params(
            self.PG_SQL, [now.isoformat().encode(), str(delivery.pk).encode()]
        )
        while self.pgconn.flush():  # until every byte of the statement is out
            pass
        self.waiting = True

    def collect(self):
        """Wait for the last statement's reply; call before any other query."""
        if not self.waiting:
            return
        self.waiting = False
        from psycopg import pq

        failure = None
        while (result := self.pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK:
                failure = (result.error_message or b"").decode(errors="replace")
        if failure:
            raise RuntimeError(f"Marking a delivery sent failed: {failure}")

    def close(self):
        self.collect()
        if self.cursor is not None:
            self.cursor.close()


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
    """Return deliveries whose lease ran out (their worker died) to "pending",
    and queue send tasks for every digest with due pending rows that no live
    worker is sending. Returns the number of rows returned."""
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
    for row in pending:
        start_sending(row["digest_id"], row["count"])
    for digest_id in Digest.objects.filter(status=Digest.Status.SENDING).values_list(
        "pk", flat=True
    ):
        finish_if_done(digest_id)
    return returned


def counts(digest):
    """{status: number} of the digest's deliveries."""
    return dict(
        Delivery.objects.filter(digest=digest).values_list("status").annotate(n=Count("pk"))
    )


def progress(digest):
    """(finished, total) deliveries of the digest: sent, failed or skipped of all."""
    by_status = counts(digest)
    total = sum(by_status.values())
    open_rows = by_status.get(Delivery.Status.PENDING, 0) + by_status.get(
        Delivery.Status.SENDING, 0
    )
    return total - open_rows, total


def digest_counts_annotations():
    statuses = Delivery.Status
    return {
        f"{status}_count": Count("deliveries", filter=Q(deliveries__status=status))
        for status in statuses.values
    }
