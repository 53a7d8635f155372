"""Building a digest, and counting its deliveries.

build() creates every Delivery row of a digest in one transaction, and moves
each subscriber's "digested until" mark forward in the same transaction: no
item is sent twice, and none is skipped. Sending is newsletter.sending's;
queuing the send tasks is newsletter.tasks' (tasks.build_and_send)."""

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from common.page_cache import NOT_FOUND_KEY, purge
from news.selectors import published_since

from . import surrogate_keys
from .digest_content import extra_sections
from .models import Delivery, Digest, Subscriber


def topics_by_subscriber(subscriber_ids):
    through = Subscriber.topics.through
    topics = {}
    for subscriber_id, category_id in through.objects.filter(
        subscriber_id__in=subscriber_ids
    ).values_list("subscriber_id", "category_id"):
        topics.setdefault(subscriber_id, set()).add(category_id)
    return topics


def build(digest_id):
    """Create the digest's Delivery rows; returns how many, or None if it was
    already built. Subscribers with nothing new (no item in their topics and no
    extra section, such as planned maintenance) get no row and no email.
    tasks.build_and_send() builds and queues the sending."""
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
        # The web version covers what came since the previous digest of the frequency.
        digest.since = (
            Digest.objects.filter(frequency=digest.frequency, until__lt=digest.until)
            .exclude(pk=digest.pk)
            .order_by("-until")
            .values_list("until", flat=True)
            .first()
        ) or oldest
        # Sections other apps contribute (planned maintenance) are news to every
        # subscriber of the frequency, whatever their topics.
        for_everyone = oldest is not None and bool(extra_sections(digest))
        count = 0
        batch_size = settings.NEWSLETTER_BUILD_BATCH
        rows = subscribers.order_by("pk").values_list("pk", "digested_until")
        # Keyset pagination keeps memory flat however many subscribers there are.
        last_pk = 0
        while items or for_everyone:
            batch = list(rows.filter(pk__gt=last_pk)[:batch_size])
            if not batch:
                break
            last_pk = batch[-1][0]
            topics = topics_by_subscriber([pk for pk, _ in batch])
            deliveries = []
            for pk, since in batch:
                wanted = topics.get(pk)
                if for_everyone or any(
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
        digest.save(update_fields=["status", "finished_at", "recipients", "since"])
        if count:
            purge(surrogate_keys.ARCHIVE, NOT_FOUND_KEY)  # the archive gains a digest
    return count


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
