import datetime

import pytest
from django.utils import timezone

from news.models import NewsItem
from tests.helpers import member_of


@pytest.fixture
def other_category(categories):
    return categories[1]


def staff(name, group, email=True):
    return member_of(group, name, email=email)


@pytest.fixture
def editor(db):
    return staff("edna", "Editors")


@pytest.fixture
def publisher(db):
    return staff("percy", "Publishers")


@pytest.fixture
def live_item(db, category):
    return NewsItem.objects.create(
        title="Insurer Index v232",
        category=category,
        date=datetime.date(2020, 7, 2),
        summary="The live summary.",
        body="<p>The live body.</p>",
        status=NewsItem.Status.PUBLISHED,
        published_at=timezone.now() - datetime.timedelta(days=1),
    )


def local(value):
    value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y"), value.strftime("%H:%M:%S")


def change_data(item, **overrides):
    """The admin change form of `item` as a browser would post it, unchanged."""
    published = local(item.published_at)
    data = {
        "title": item.title,
        "slug": item.slug,
        "category": item.category_id,
        "date": item.date.strftime("%d/%m/%Y"),
        "archive_year": item.archive_year,
        "position": item.position,
        "summary": item.summary,
        "body": item.body,
        "author": item.author,
        "status": item.status,
        "published_at_0": published[0],
        "published_at_1": published[1],
        "expires_at_0": local(item.expires_at)[0] if item.expires_at else "",
        "expires_at_1": local(item.expires_at)[1] if item.expires_at else "",
        "revision_message": "",
        "change_kind": "minor",  # asked when the item is online
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
        "old_addresses-TOTAL_FORMS": "0",
        "old_addresses-INITIAL_FORMS": "0",
        "old_addresses-MIN_NUM_FORMS": "0",
        "old_addresses-MAX_NUM_FORMS": "1000",
    }
    if item.decorative_images:
        data["decorative_images"] = "on"
    data.update(overrides)
    return data


def change_url(item):
    return f"/admin/news/newsitem/{item.pk}/change/"
