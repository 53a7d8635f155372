import os

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Each test starts with empty caches and its own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in ("default", "local"):
        caches[name].clear()
    yield
    for name in ("default", "local"):
        caches[name].clear()


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
