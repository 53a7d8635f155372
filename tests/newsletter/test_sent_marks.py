"""Sent marks on PostgreSQL (newsletter.fast_send.sent_marks): each message
is marked sent on a connection of the marks' own, in libpq's pipeline mode,
as soon as the mail server accepts it; Django's connection never sees them,
so no other query can run into a mark still in flight. Needs PostgreSQL
(outside a test transaction, where the marks' connection sees the rows)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsletter import digests, fast_send, schedules, sending
from newsletter.models import Delivery
from tests.helpers import require

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgresql():
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")


def test_each_message_is_marked_on_the_marks_own_connection(
    postgresql, make_item, make_subscriber, smtp_server, monkeypatch
):
    make_item()
    subscribers = [make_subscriber() for _ in range(30)]
    refused = make_subscriber(email="perm@example.com")  # a 550 on the way
    digest = schedules.forced_digest("weekly")
    digests.build(digest.pk)
    marked = []
    original = fast_send._PipelinedMarks.mark

    def spy(self, delivery_pk):
        marked.append(delivery_pk)
        original(self, delivery_pk)

    monkeypatch.setattr(fast_send._PipelinedMarks, "mark", spy)
    with CaptureQueriesContext(connection) as django_queries:
        result = sending.send_chunk(digest.pk)
    assert result.sent == 30 and len(marked) == 30
    # Django's connection: the claim, the rows, the failure… not 30 marks.
    updates = [q for q in django_queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) < 10, [q["sql"][:80] for q in updates]
    rows = Delivery.objects.filter(digest=digest)
    sent = rows.filter(status="sent", provider_status="accepted", sent_at__isnull=False)
    assert set(sent.values_list("subscriber_id", flat=True)) == {s.pk for s in subscribers}
    assert rows.get(subscriber=refused).status == "failed"
    assert len(smtp_server.messages) == 30


def test_a_mark_that_fails_is_an_error_not_a_silent_loss(postgresql, make_item, make_subscriber):
    make_item()
    make_subscriber()
    with pytest.raises(RuntimeError, match="Marking a delivery sent failed"):
        with fast_send.sent_marks() as mark_sent:
            mark_sent("not a number")
    digest = schedules.forced_digest("weekly")
    assert digests.build(digest.pk) == 1  # Django's connection is unharmed
