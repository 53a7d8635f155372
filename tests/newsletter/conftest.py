"""The newsletter's tests: fixtures shared with other apps are in tests/conftest.py."""

import datetime
import re

import pytest
from django.utils import timezone


@pytest.fixture
def make_item(make_item, categories):
    """As tests/conftest.py's, but dated November 2026 and published ten
    minutes ago: news that a digest due now would carry."""

    def make_recent_item(category=None, **fields):
        values = {
            "category": category or categories[0],
            "date": datetime.date(2026, 11, 2),
            "body": "",
            "published_at": timezone.now() - datetime.timedelta(minutes=10),
        }
        values.update(fields)
        return make_item(**values)

    return make_recent_item


def links(text):
    return re.findall(r"https?://[^\s\"<>]+", text)


def path_of(url, settings):
    assert url.startswith(settings.SITE_URL), url
    return url[len(settings.SITE_URL) :]
