from newsletter.models import Delivery, Digest, Subscriber
from tests.helpers import london


def a_sent_digest():
    """A weekly digest of 23/11/2026 sent to one subscriber, for the dashboard's figures."""
    person = Subscriber.objects.create(email="r@example.com", status="confirmed",
                                       confirmed_at=london(2026, 10, 1))
    digest = Digest.objects.create(frequency="weekly", period="2026-W47",
                                   until=london(2026, 11, 23), created_at=london(2026, 11, 23),
                                   status="done", recipients=1)
    Delivery.objects.create(digest=digest, subscriber=person, since=digest.until, status="sent")
    return digest
