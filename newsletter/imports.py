"""Admin CSV imports, run by a worker in two steps.

1. check(): the dry run. Every row gets a verdict (add, duplicate, already on
   the list, suppressed, invalid) stored as an ImportRow; nothing is added.
2. run(), once a manager has confirmed: the "add" rows are added in batches.
   Each batch adds its subscribers (confirmed, with their topics and a
   consent record) and marks its rows done in one transaction, so a crash
   loses at most the batch in flight, which the next attempt repeats; nobody
   is added twice (rows done are skipped, and an address already on the list
   is never added again).

A job's lease is renewed after every batch; the sweeper (tasks.sweep_deliveries)
queues again a job whose lease has run out (its worker died)."""

import logging
from datetime import timedelta

from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.forms import ValidationError
from django.utils import timezone

from news.models import Category

from . import csv_io
from .addresses import canonical_or_none
from .models import (
    CONSENT_VERSION,
    Frequency,
    ImportRow,
    Source,
    Subscriber,
    SubscriberImport,
    SubscriptionConsent,
    Suppression,
    email_hash,
)

log = logging.getLogger(__name__)

BATCH = 1000
LEASE = timedelta(minutes=2)
Verdict = ImportRow.Verdict


def create(upload, user=None):
    """A job for the uploaded file (CsvError if it cannot be imported at all)."""
    text = csv_io.check_upload(upload)
    # With a lease from the start: if its task is lost (no broker at the
    # moment), the sweeper queues it again.
    return SubscriberImport.objects.create(
        file_name=(upload.name or "upload.csv")[:200],
        content=text,
        created_by=user,
        lease_until=timezone.now() + LEASE,
    )


def _renew(job, **fields):
    fields["lease_until"] = timezone.now() + LEASE
    SubscriberImport.objects.filter(pk=job.pk).update(**fields)


# ---------------------------------------------------------------- dry run


def check(job_id):
    """The dry run: a verdict for every row. Safe to run again (it starts over)."""
    job = SubscriberImport.objects.get(pk=job_id)
    if job.status != SubscriberImport.Status.CHECKING:
        return
    header, rows = csv_io.parse(job.content)
    slugs = dict(Category.objects.values_list("slug", "pk"))
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    job.rows.all().delete()
    _renew(job, total_rows=len(rows), rows_done=0)
    seen = set()
    pending = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, row, strict=False))
        pending.append(_verdict(number, values, slugs, suppressed, seen))
        if len(pending) == BATCH:
            _store_checked(job, pending, number - 1)
            pending = []
    _store_checked(job, pending, len(rows))
    SubscriberImport.objects.filter(pk=job.pk).update(
        status=SubscriberImport.Status.CHECKED, rows_done=len(rows), lease_until=None
    )


def _store_checked(job, rows, done):
    # Rows on the list already are only known once the batch's addresses are read.
    candidates = {row.email: row for row in rows if row.verdict == Verdict.ADD}
    for email in Subscriber.objects.filter(email__in=list(candidates)).values_list(
        "email", flat=True
    ):
        candidates[email].verdict = Verdict.ALREADY
        candidates[email].message = ""
    for row in rows:
        row.job = job
    ImportRow.objects.bulk_create(rows)
    _renew(job, rows_done=done)


def _verdict(number, values, slugs, suppressed, seen):
    raw = (values.get("email") or "").strip()
    row = ImportRow(line=number, email=raw[:254], verdict=Verdict.INVALID)
    if not raw:
        row.message = "No email address."
        return row
    if len(raw) > 254 or "\n" in raw or "\r" in raw:
        row.message = "Not a valid email address."
        return row
    try:
        validate_email(raw)
    except ValidationError:
        row.message = "Not a valid email address."
        return row
    email = canonical_or_none(raw)
    if email is None:
        row.message = "Not a valid email address."
        return row
    row.email = email
    if email in seen:
        row.verdict, row.message = Verdict.DUPLICATE, ""
        return row
    seen.add(email)
    if email_hash(email) in suppressed:
        row.verdict = Verdict.SUPPRESSED
        return row
    frequency = (values.get("frequency") or "").strip().lower() or Frequency.WEEKLY
    if frequency not in Frequency.values:
        row.message = f"Unknown frequency “{frequency[:30]}”: use immediate, weekly or monthly."
        return row
    topic_slugs = [s.strip() for s in (values.get("topics") or "").split(";") if s.strip()]
    unknown = [s for s in topic_slugs if s not in slugs]
    if unknown:
        row.message = f"Unknown topic “{unknown[0][:50]}”."
        return row
    row.verdict = Verdict.ADD
    row.frequency = frequency
    row.topics = ";".join(str(slugs[s]) for s in topic_slugs)[:500]
    return row


def totals(job):
    """{verdict: count}; once imported, "add" counts the rows actually added."""
    from django.db.models import Count

    return dict(job.rows.values_list("verdict").annotate(n=Count("pk")).order_by())


# ---------------------------------------------------------------- import


def confirm(job):
    """The manager's go-ahead; True if the import should now be queued. From
    now on the progress counts the rows to add."""
    updated = SubscriberImport.objects.filter(
        pk=job.pk, status=SubscriberImport.Status.CHECKED
    ).update(
        status=SubscriberImport.Status.IMPORTING,
        confirmed_at=timezone.now(),
        rows_done=0,
        total_rows=job.rows.filter(verdict=Verdict.ADD).count(),
        lease_until=timezone.now() + LEASE,
    )
    return bool(updated)


def run(job_id, after_batch=None):
    """Add the rows that passed the dry run, resuming where a crash left off."""
    job = SubscriberImport.objects.get(pk=job_id)
    if job.status != SubscriberImport.Status.IMPORTING:
        return
    names = dict(Category.objects.values_list("pk", "name"))
    todo = job.rows.filter(verdict=Verdict.ADD, done=False).order_by("line")
    _renew(job, rows_done=job.rows.filter(done=True).count())
    while True:
        batch = list(todo[:BATCH])
        if not batch:
            break
        _import_batch(job, batch, names)
        if after_batch is not None:
            after_batch()
    SubscriberImport.objects.filter(pk=job.pk).update(
        status=SubscriberImport.Status.DONE, finished_at=timezone.now(), lease_until=None
    )


def _import_batch(job, batch, names):
    with transaction.atomic():
        existing = set(
            Subscriber.objects.filter(email__in=[row.email for row in batch]).values_list(
                "email", flat=True
            )
        )
        now = timezone.now()
        fresh = [row for row in batch if row.email not in existing]
        try:
            with transaction.atomic():
                created = Subscriber.objects.bulk_create(
                    [_subscriber(row, now) for row in fresh]
                )
        except IntegrityError:  # someone signed up meanwhile: one by one
            created = [_one(row, now) for row in fresh]
        by_email = {s.email: s for s in created if s is not None}
        _add_topics_and_consents(batch, by_email, names, now)
        late = [row.pk for row in batch if row.email not in by_email]
        ImportRow.objects.filter(pk__in=late).update(
            verdict=Verdict.ALREADY, message="Joined the list since the dry run."
        )
        ImportRow.objects.filter(pk__in=[row.pk for row in batch]).update(done=True)
        SubscriberImport.objects.filter(pk=job.pk).update(
            rows_done=F("rows_done") + len(batch), lease_until=now + LEASE
        )


def _subscriber(row, now):
    return Subscriber(
        email=row.email,
        frequency=row.frequency or Frequency.WEEKLY,
        status=Subscriber.Status.CONFIRMED,
        source=Source.IMPORT,
        confirmed_at=now,
        digested_until=now,
        created_at=now,
    )


def _one(row, now):
    try:
        with transaction.atomic():
            subscriber = _subscriber(row, now)
            subscriber.save()
            return subscriber
    except IntegrityError:
        return None


def _add_topics_and_consents(batch, by_email, names, now):
    through = Subscriber.topics.through
    links, consents = [], []
    for row in batch:
        subscriber = by_email.get(row.email)
        if subscriber is None:
            continue
        topic_ids = [int(t) for t in row.topics.split(";") if t]
        links += [through(subscriber_id=subscriber.pk, category_id=t) for t in topic_ids]
        label = ", ".join(names.get(t, "?") for t in topic_ids) or "All topics"
        consents.append(
            SubscriptionConsent(
                subscriber=subscriber,
                action=SubscriptionConsent.Action.SUBSCRIBE,
                at=now,
                consent_version=CONSENT_VERSION,
                source=Source.IMPORT,
                details=f"topics: {label}; frequency: "
                f"{Frequency(subscriber.frequency).label}"[:500],
            )
        )
    through.objects.bulk_create(links)
    SubscriptionConsent.objects.bulk_create(consents)


# ---------------------------------------------------------------- recovery


def stalled():
    """Jobs whose worker died: running, with a lease that has run out."""
    return SubscriberImport.objects.filter(
        status__in=[SubscriberImport.Status.CHECKING, SubscriberImport.Status.IMPORTING],
        lease_until__lt=timezone.now(),
    )
