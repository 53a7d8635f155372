"""newsletter.figures: the staff dashboard's subscriber and delivery counts."""

import datetime

import pytest

from newsletter.figures import digest_deliveries, subscribers_by_month
from newsletter.models import Delivery, Digest, ProviderEvent, Subscriber, SubscriptionConsent
from tests.helpers import at, london

pytestmark = pytest.mark.django_db
Status = Subscriber.Status


def subscriber(email, status, confirmed=None, unsubscribed=None, suppressed=None):
    person = Subscriber.objects.create(email=email, status=status, confirmed_at=confirmed,
                                       unsubscribed_at=unsubscribed)
    if suppressed:
        SubscriptionConsent.objects.create(subscriber=person, at=suppressed, source="bounce",
                                           action=SubscriptionConsent.Action.SUPPRESS,
                                           consent_version="2026-11")
    return person


def test_subscribers_at_each_months_end(db):
    subscriber("e@example.com", Status.CONFIRMED, london(2025, 6, 1))
    subscriber("b@example.com", Status.UNSUBSCRIBED, london(2026, 1, 5),
               unsubscribed=london(2026, 6, 20))
    subscriber("c@example.com", Status.SUPPRESSED, london(2026, 2, 1, 10),
               suppressed=london(2026, 9, 3))
    subscriber("a@example.com", Status.CONFIRMED, london(2026, 3, 10))
    subscriber("p@example.com", Status.PENDING)
    with at(london(2026, 12, 5, 12)):
        rows = subscribers_by_month(12)
    assert [month for month, _ in rows][::11] == [datetime.date(2026, 1, 1),
                                                  datetime.date(2026, 12, 1)]
    table = {month.month: (c["confirmed"], c["unsubscribed"], c["suppressed"])
             for month, c in rows}
    assert table[1] == (2, 0, 0)   # e and b; c confirmed on 1 February
    assert table[2] == (3, 0, 0)
    assert table[5] == (4, 0, 0)
    assert table[6] == (3, 1, 0)   # b unsubscribed on 20 June
    assert table[8] == (3, 1, 0)
    assert table[9] == (2, 1, 1)   # c suppressed on 3 September
    assert table[12] == (2, 1, 1)


def test_each_digests_deliveries_with_the_bounces_reported_after_it(db):
    people = [subscriber(f"r{n}@example.com", Status.CONFIRMED, london(2026, 1, 1))
              for n in range(4)]

    def digest(period, created, statuses):
        sent = Digest.objects.create(frequency="weekly", period=period, until=created,
                                     created_at=created, status="done", recipients=len(statuses))
        for person, status in zip(people, statuses, strict=False):
            Delivery.objects.create(digest=sent, subscriber=person, since=created, status=status)
        return sent

    first = digest("2026-W45", london(2026, 11, 9, 9), ["sent", "sent", "sent", "failed"])
    second = digest("2026-W46", london(2026, 11, 16, 9), ["sent", "sent", "failed", "failed"])
    Digest.objects.create(frequency="weekly", period="2026-W47", until=london(2026, 11, 23),
                          created_at=london(2026, 11, 23), status="done", recipients=0)

    def event(n, kind, when):
        ProviderEvent.objects.create(provider="postmark", event_id=str(n), email_hash="h",
                                     kind=kind, happened_at=when)

    event(1, ProviderEvent.Kind.HARD_BOUNCE, london(2026, 11, 9, 10))
    event(2, ProviderEvent.Kind.COMPLAINT, london(2026, 11, 12))
    event(3, ProviderEvent.Kind.SOFT_BOUNCE, london(2026, 11, 16, 9, 5))
    event(4, ProviderEvent.Kind.UNSUBSCRIBE, london(2026, 11, 16, 10))  # not a problem
    event(5, ProviderEvent.Kind.HARD_BOUNCE, london(2026, 11, 1))  # before the first shown
    rows = digest_deliveries(10)
    assert [(digest.pk, counts) for digest, counts in rows] == [
        (first.pk, {"sent": 3, "failed": 1, "bounced": 1, "complained": 1}),
        (second.pk, {"sent": 2, "failed": 2, "bounced": 1, "complained": 0}),
    ]
    assert [digest.pk for digest, _ in digest_deliveries(1)] == [second.pk]
