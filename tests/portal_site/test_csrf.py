"""CSRF tokens drawn from one random read: uniform, and accepted by Django's middleware."""

import collections
import re

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test import Client

from portal_site import csrf

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.page_cache_urls")]


def token_in(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)[1]


def test_every_character_is_equally_likely_and_no_byte_is_folded_in():
    usable = [chr(csrf._BYTE_TO_CHAR[byte]) for byte in range(csrf._USABLE)]
    counts = collections.Counter(usable)
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert set(counts.values()) == {csrf._USABLE // len(CSRF_ALLOWED_CHARS)}
    assert csrf._USABLE + len(csrf._UNUSABLE_BYTES) == 256


def test_bytes_beyond_the_last_whole_alphabet_are_dropped(monkeypatch):
    reads = [b"\xff" * 40, bytes(range(100))]
    monkeypatch.setattr(csrf.os, "urandom", lambda size: reads.pop(0)[:size])
    # The first read is all unusable, so the string comes from the second.
    assert csrf.random_string(32) == CSRF_ALLOWED_CHARS[:32]
    assert reads == []


def test_secrets_are_random_strings_of_the_csrf_alphabet():
    secrets = {csrf.random_string(CSRF_SECRET_LENGTH) for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(s) == CSRF_SECRET_LENGTH and set(s) <= set(CSRF_ALLOWED_CHARS) for s in secrets)


@pytest.mark.parametrize("page_cache_timeout", [0, 300], ids=["rendered", "cached"])
def test_pages_get_their_token_from_this_module(monkeypatch, settings, page_cache_timeout):
    settings.PAGE_CACHE_TIMEOUT = page_cache_timeout
    drawn = []
    random_string = csrf.random_string

    def spy(length):
        drawn.append(length)
        return random_string(length)

    monkeypatch.setattr(csrf, "random_string", spy)
    for _ in range(2):
        Client().get("/form/")
    # Two first-time visitors (with the cache on, the second is a hit): for
    # each, a secret, then the mask for the page.
    assert drawn == [CSRF_SECRET_LENGTH] * 4


@pytest.mark.parametrize("page_cache_timeout", [0, 300], ids=["rendered", "cached"])
def test_djangos_middleware_accepts_the_token_and_rejects_anothers(settings, page_cache_timeout):
    settings.PAGE_CACHE_TIMEOUT = page_cache_timeout
    visitor, other = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    tokens = [token_in(visitor.get("/form/")) for _ in range(2)]
    others_token = token_in(other.get("/form/"))
    # Each page masks the same secret afresh.
    assert tokens[0] != tokens[1]
    for token in tokens:
        assert visitor.post("/submit/", {"csrfmiddlewaretoken": token}).status_code == 200
    assert visitor.post("/submit/", {"csrfmiddlewaretoken": others_token}).status_code == 403
    assert visitor.post("/submit/", {}).status_code == 403


def test_a_returning_visitor_keeps_their_secret():
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/form/")
    secret = visitor.cookies["csrftoken"].value
    response = visitor.get("/form/")
    assert visitor.cookies["csrftoken"].value == secret
    assert visitor.post("/submit/", {"csrfmiddlewaretoken": token_in(response)}).status_code == 200
