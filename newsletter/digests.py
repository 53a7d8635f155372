"""Building a digest, and counting its deliveries.

build() creates every Delivery row of a digest in one transaction, and moves
each subscriber's "digested until" mark forward in the same transaction: no
item is sent twice, and none is skipped. Sending is newsletter.sending's;
queuing the send tasks is newsletter.tasks' (tasks.build_and_send)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from common.page_cache import NOT_FOUND_KEY, purge
from news.selectors import published_since

from . import surrogate_keys
from .digest_content import extra_sections, section_topics
from .emails import DigestRenderer
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
        # Sections other apps contribute are news to every subscriber of the
        # frequency (planned maintenance), or to those of an entry's topic
        # (an updated item).
        for_everyone, section_topic_ids = section_topics(extra_sections(digest))
        for_everyone = for_everyone and oldest is not None
        count = 0
        batch_size = settings.NEWSLETTER_BUILD_BATCH
        rows = subscribers.order_by("pk").values_list("pk", "digested_until")
        # Keyset pagination keeps memory flat however many subscribers there are.
        last_pk = 0
        while items or for_everyone or section_topic_ids:
            batch = list(rows.filter(pk__gt=last_pk)[:batch_size])
            if not batch:
                break
            last_pk = batch[-1][0]
            topics = topics_by_subscriber([pk for pk, _ in batch])
            deliveries = []
            for pk, since in batch:
                wanted = topics.get(pk)
                if (
                    for_everyone
                    or (section_topic_ids and (wanted is None or wanted & section_topic_ids))
                    or any(
                        published_at > since and (wanted is None or category_id in wanted)
                        for published_at, category_id in items
                    )
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


@dataclass(frozen=True)
class Progress:
    """How far a digest's sending has gone: its deliveries by status. The one
    place that counts them, for the admin, the dashboard and the command."""

    by_status: dict

    @classmethod
    def of(cls, digest):
        """From the annotations of Digest.objects.with_progress() when the
        digest has them, otherwise with one query."""
        if hasattr(digest, ANNOTATION.format(Delivery.Status.SENT)):
            return cls({s: getattr(digest, ANNOTATION.format(s)) for s in Delivery.Status.values})
        rows = Delivery.objects.filter(digest=digest).values_list("status").annotate(n=Count("pk"))
        return cls(dict(rows))

    def __getitem__(self, status):
        return self.by_status.get(status, 0)

    @property
    def total(self):
        return sum(self.by_status.values())

    @property
    def waiting(self):
        """Not finished yet: pending (or paused) and being sent."""
        return self[Delivery.Status.PENDING] + self[Delivery.Status.SENDING]

    @property
    def finished(self):
        """Sent, failed, skipped or cancelled."""
        return self.total - self.waiting

    def as_dict(self):
        return {
            "total": self.total,
            "finished": self.finished,
            "waiting": self.waiting,
            **{status: self[status] for status in Delivery.Status.values},
        }


ANNOTATION = "{}_count"


def with_progress(digests):
    """The queryset with each digest's deliveries counted by status (one query
    for a whole admin list); Progress.of() reads them."""
    return digests.annotate(
        **{
            ANNOTATION.format(status): Count("deliveries", filter=Q(deliveries__status=status))
            for status in Delivery.Status.values
        }
    )


def next_digest(frequency, topic_ids=None, now=None):
    """The next digest of a frequency as a subscriber to `topic_ids` (None:
    every topic) would get it if it went now: (renderer, items). It covers
    what was published since the frequency's last digest (a month back if
    there is none); `items` may be empty (the renderer may still have
    sections)."""
    now = now or timezone.now()
    last = (
        Digest.objects.filter(frequency=frequency)
        .order_by("-until")
        .values_list("until", flat=True)
        .first()
    )
    since = last or now - timedelta(days=31)
    digest = Digest(pk=0, frequency=frequency, period="preview", until=now, since=since)
    renderer = DigestRenderer(digest, published_since(since, until=now).select_related("category"))
    return renderer, renderer.items_for(since, set(topic_ids) if topic_ids else None)
