"""news.figures: items published per month, for the staff dashboard."""

import datetime

import pytest

from news.figures import items_published_by_month
from news.models import NewsItem
from tests.helpers import at, london

pytestmark = pytest.mark.django_db


def test_items_published_per_month_in_uk_time(make_item):
    make_item(published_at=london(2026, 1, 10))
    make_item(published_at=london(2026, 3, 31, 23, 30))  # 22:30 UTC, still March here
    make_item(published_at=london(2026, 3, 1, 0, 30))
    make_item(published_at=london(2026, 4, 1, 0, 30))  # 31 March 23:30 UTC: April here
    make_item(published_at=london(2026, 2, 2), status=NewsItem.Status.DRAFT)
    make_item(published_at=london(2026, 12, 20))  # scheduled after "now"
    make_item(published_at=london(2025, 12, 20))  # before the months shown
    with at(london(2026, 12, 5, 12)):
        rows = items_published_by_month(12)
    assert rows[0] == (datetime.date(2026, 1, 1), 1)
    assert dict(rows)[datetime.date(2026, 2, 1)] == 0
    assert dict(rows)[datetime.date(2026, 3, 1)] == 2
    assert dict(rows)[datetime.date(2026, 4, 1)] == 1
    assert rows[-1] == (datetime.date(2026, 12, 1), 0)
    assert len(rows) == 12
