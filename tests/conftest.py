import datetime
import os

import pytest
from django.core.cache import caches
from django.utils import timezone

from news.models import Category, NewsItem


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Each test starts with empty caches and its own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    caches["default"].clear()
    yield
    caches["default"].clear()


def require(available, reason):
    """Skip a test whose real component is missing on a developer's machine;
    in CI (CI=true) a missing component is a failure, never a skip."""
    if available:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_url(settings):
    """The Redis URL of the run; the test is skipped (failed in CI) without one."""
    require(settings.REDIS_URL, "needs Redis: set REDIS_URL (bash .ci/run does)")
    return settings.REDIS_URL


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
