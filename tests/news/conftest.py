import datetime

import pytest
from django.utils import timezone

from news.models import Category, NewsItem


@pytest.fixture
def category(db):
    return Category.objects.create(name="Update", slug="update")


@pytest.fixture
def make_item(db, category):
    """Create a news item; published and dated in 2020 unless told otherwise."""
    counter = iter(range(1, 1_000_000))

    def make_item(**fields):
        n = next(counter)
        values = {
            "title": f"Item {n}",
            "category": category,
            "date": datetime.date(2020, 6, 1),
            "summary": f"Summary of item {n}.",
            "body": f"<p>Body of item {n}.</p>",
            "status": NewsItem.Status.PUBLISHED,
            "published_at": timezone.now() - datetime.timedelta(days=1),
        }
        values.update(fields)
        return NewsItem.objects.create(**values)

    return make_item
