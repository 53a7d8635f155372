"""The page cache's lookup: one cache round trip per hit, generations honoured."""

import pytest
from django.core.cache import cache
from django.test import Client

from portal_site import page_cache

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.page_cache_urls")]


@pytest.fixture
def cache_reads(monkeypatch):
    """Every read the page cache makes from the cache, in order (not counting
    the backend's own: local memory's get_many() calls get())."""
    reads = []
    get, get_many = cache.get, cache.get_many
    inside = []

    def counted_get(key, *args, **kwargs):
        if not inside:
            reads.append(("get", key))
        return get(key, *args, **kwargs)

    def counted_get_many(keys, *args, **kwargs):
        reads.append(("get_many", tuple(keys)))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(page_cache.cache, "get", counted_get)
    monkeypatch.setattr(page_cache.cache, "get_many", counted_get_many)
    return reads


def test_a_hit_reads_the_generation_and_the_page_in_one_round_trip(settings, cache_reads):
    settings.PAGE_CACHE_VARIANTS = []
    assert Client().get("/form/")["X-Page-Cache"] == "miss"
    cache_reads.clear()
    assert Client().get("/form/")["X-Page-Cache"] == "hit"
    assert len(cache_reads) == 1
    kind, keys = cache_reads[0]
    assert kind == "get_many" and page_cache.GENERATION_KEY in keys


def test_a_page_from_an_ended_generation_is_not_served(
    settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_VARIANTS = []
    first = Client().get("/form/")
    assert first["X-Page-Cache"] == "miss"
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.invalidate()
    assert Client().get("/form/")["X-Page-Cache"] == "miss"
    assert Client().get("/form/")["X-Page-Cache"] == "hit"


def test_a_hit_keeps_the_etag_of_the_stored_page(settings):
    settings.PAGE_CACHE_VARIANTS = []
    etag = Client().get("/form/")["ETag"]
    again = Client().get("/form/", headers={"If-None-Match": etag})
    assert again.status_code == 304
