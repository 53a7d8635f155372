"""Items the digests can miss for good: found while testing the broker outage."""

import datetime

import pytest
from django.utils import timezone

from news.models import NewsItem
from newsletter import digests, schedules

pytestmark = pytest.mark.django_db


def test_a_draft_published_after_a_digest_ran_still_reaches_subscribers(
    make_item, make_subscriber
):
    now = timezone.now()
    make_subscriber(frequency="immediate", digested_until=now - datetime.timedelta(days=1))
    draft = make_item(
        status=NewsItem.Status.DRAFT, published_at=now - datetime.timedelta(minutes=10)
    )
    for digest in schedules.due_digests(now=now):  # runs while the item is a draft
        assert digests.build(digest.pk) == 0
    draft.publish()  # what admin's "Publish" does: an old draft goes out now
    draft.save()
    later = now + datetime.timedelta(minutes=10)
    built = sum(digests.build(d.pk) or 0 for d in schedules.due_digests(now=later))
    assert built == 1, "the published item never goes out"
