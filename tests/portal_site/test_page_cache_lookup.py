"""The page cache's lookup: local copies, round trips to the shared cache, generations."""

import pytest
from django.core.cache import cache, caches
from django.test import Client

from portal_site import page_cache

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.page_cache_urls")]


@pytest.fixture
def shared_reads(monkeypatch, settings):
    """Every read the page cache makes from the shared cache, in order."""
    settings.PAGE_CACHE_VARIANTS = []
    reads = []
    get = cache.get

    def counted_get(key, *args, **kwargs):
        reads.append(key)
        return get(key, *args, **kwargs)

    monkeypatch.setattr(page_cache.cache, "get", counted_get)
    return reads


def test_with_local_copies_a_hit_needs_no_round_trip(settings, shared_reads):
    settings.LOCAL_CACHE_SECONDS = 5
    assert Client().get("/form/")["X-Page-Cache"] == "miss"
    shared_reads.clear()
    assert Client().get("/form/")["X-Page-Cache"] == "hit"
    assert shared_reads == []


def test_without_local_copies_a_hit_reads_the_generation_and_the_page(settings, shared_reads):
    settings.LOCAL_CACHE_SECONDS = 0
    assert Client().get("/form/")["X-Page-Cache"] == "miss"
    shared_reads.clear()
    assert Client().get("/form/")["X-Page-Cache"] == "hit"
    assert len(shared_reads) == 2 and page_cache.GENERATION_KEY in shared_reads


def test_another_process_ends_the_generation_seen_here_once_the_copy_expires(settings):
    settings.LOCAL_CACHE_SECONDS = 5
    settings.PAGE_CACHE_VARIANTS = []
    assert Client().get("/form/")["X-Page-Cache"] == "miss"
    cache.delete(page_cache.GENERATION_KEY)  # what invalidate() does in another process
    assert Client().get("/form/")["X-Page-Cache"] == "hit"  # this process's copy is fresh
    caches["local"].delete(page_cache.GENERATION_KEY)  # …until it expires
    assert Client().get("/form/")["X-Page-Cache"] == "miss"


@pytest.mark.parametrize("local_seconds", [0, 5])
def test_a_page_from_an_ended_generation_is_not_served(
    settings, django_capture_on_commit_callbacks, local_seconds
):
    settings.LOCAL_CACHE_SECONDS = local_seconds
    settings.PAGE_CACHE_VARIANTS = []
    assert Client().get("/form/")["X-Page-Cache"] == "miss"
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.invalidate()
    assert Client().get("/form/")["X-Page-Cache"] == "miss"
    assert Client().get("/form/")["X-Page-Cache"] == "hit"


def test_a_hit_keeps_the_etag_of_the_stored_page(settings):
    settings.PAGE_CACHE_VARIANTS = []
    etag = Client().get("/form/")["ETag"]
    again = Client().get("/form/", headers={"If-None-Match": etag})
    assert again.status_code == 304
