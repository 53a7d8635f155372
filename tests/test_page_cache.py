import re

import pytest
from django.test import Client

from portal_site.page_cache import CSRF_PLACEHOLDER

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.page_cache_urls")]


def token_in(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)[1]


def test_each_visitor_gets_their_own_working_csrf_token_from_a_cached_page():
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first = alice.get("/form/")
    second = bob.get("/form/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert CSRF_PLACEHOLDER not in second.text
    for client, page in ((alice, first), (bob, second)):
        response = client.post("/submit/", {"csrfmiddlewaretoken": token_in(page)})
        assert response.status_code == 200
    # Bob's token is his own: it does not work with Alice's cookie.
    assert alice.cookies["csrftoken"].value != bob.cookies["csrftoken"].value


def test_cached_pages_are_private_to_the_browser():
    for expected in ("miss", "hit"):
        response = Client().get("/form/")
        assert response["X-Page-Cache"] == expected
        assert "private" in response["Cache-Control"]
        assert "no-cache" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]


def test_variants_keep_visitors_apart(settings):
    settings.PAGE_CACHE_VARIANTS = ["tests.test_page_cache.variant_from_header"]
    assert Client().get("/form/", headers={"X-Variant": "a"})["X-Page-Cache"] == "miss"
    assert Client().get("/form/", headers={"X-Variant": "b"})["X-Page-Cache"] == "miss"
    assert Client().get("/form/", headers={"X-Variant": "a"})["X-Page-Cache"] == "hit"


def test_a_session_cookie_bypasses_the_cache():
    client = Client()
    client.get("/form/")
    client.cookies["sessionid"] = "anything"
    assert "X-Page-Cache" not in client.get("/form/")


def variant_from_header(request):
    return request.headers.get("X-Variant", "")
