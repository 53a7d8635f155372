"""COOKIE_STATISTICS_BASIS=exception: statistics cookies without asking, a one-click
objection everywhere, GPC as an objection; and the choices the log records."""

import re

import pytest
from django.test import Client

from cookies import consent
from cookies.models import ConsentPolicy, ConsentRecord, CookieDeclaration

from .conftest import consent_cookie, page_policy, with_settings
from .test_views import SAME_ORIGIN, SETTINGS_URL, body_of, post_json

pytestmark = pytest.mark.django_db


def choose(client, action, **headers):
    return post_json(client, {"cookies": action}, headers={**SAME_ORIGIN, **headers})


def latest():
    return ConsentRecord.objects.latest("created_at", "pk")


def test_a_change_of_basis_starts_a_new_policy_version(cookie_defaults, settings):
    assert consent.current_policy().statistics_basis == "consent"
    version = consent.current_policy().version
    settings.COOKIE_STATISTICS_BASIS = "exception"
    consent.forget_policy()
    policy = consent.current_policy()
    assert policy.version == version + 1
    assert policy.statistics_basis == "exception"
    assert policy.exception_slugs == ("analytics",) and policy.notice
    # Reading it again changes nothing; going back starts another version.
    consent.forget_policy()
    assert consent.current_policy().version == version + 1
    settings.COOKIE_STATISTICS_BASIS = "consent"
    consent.forget_policy()
    assert consent.current_policy().version == version + 2
    assert ConsentPolicy.objects.get().statistics_basis == "consent"


def test_migrate_follows_the_setting(cookie_defaults, settings):
    from django.core.management import call_command

    settings.COOKIE_STATISTICS_BASIS = "exception"
    call_command("migrate", "cookies", verbosity=0)
    assert ConsentPolicy.objects.get().statistics_basis == "exception"


def test_a_bad_basis_refuses_to_start():
    out = with_settings("import django; django.setup()",
                        COOKIE_STATISTICS_BASIS="legitimate-interest")
    assert out.returncode != 0
    assert 'COOKIE_STATISTICS_BASIS must be "consent" or "exception"' in out.stderr


def test_the_banner_becomes_a_notice_with_object_and_hide(client, statistics_exception):
    response = client.get("/news/")
    body = body_of(response)
    assert page_policy(response)["notice"] is True
    assert page_policy(response)["categories"][0]["exception"] is True
    assert "We also use analytics cookies to collect statistics" in body
    assert re.search(r'<button[^>]*value="object"[^>]*>Object to analytics cookies', body)
    assert re.search(r'<button[^>]*value="hide"[^>]*>Hide cookie message', body)
    assert 'value="accept"' not in body and 'value="reject"' not in body
    assert 'data-cookie-confirmation="objected"' in body


def test_without_a_choice_statistics_run_and_other_categories_wait(
    client, statistics_exception, cookie_defaults
):
    CookieDeclaration.objects.create(
        category=cookie_defaults["marketing"], name="_fbp", provider="Meta", purpose="Ads",
        duration="3 months",
    )
    consent.forget_policy()
    state = consent.visitor(Client().get("/").wsgi_request)
    assert state.consent is None
    assert state.accepted("analytics")
    assert not state.accepted("marketing")
    body = body_of(client.get("/news/"))
    assert "We'd also like to use marketing cookies" in body


def test_object_stops_statistics_deletes_its_cookies_and_is_logged(client, statistics_exception):
    client.cookies["_ga"] = "GA1.1.1.1"
    response = choose(client, "object")
    assert response.status_code == 200
    data = response.json()
    assert data["outcome"] == "objected" and data["accepted"] == []
    assert response.cookies["_ga"]["max-age"] == 0
    record = latest()
    assert record.choices == {"analytics": False}
    assert record.decision == "objected" and record.location == "banner" and record.javascript
    assert record.policy_version == statistics_exception.version
    assert not consent.visitor(client.get(SETTINGS_URL).wsgi_request).accepted("analytics")


def test_hide_keeps_statistics_on_and_is_logged_as_informed(client, statistics_exception):
    data = choose(client, "hide").json()
    assert data["outcome"] == "hidden" and data["accepted"] == ["analytics"]
    assert latest().decision == "informed"
    assert consent.parse(consent_cookie(client)).choices == {"analytics": True}


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_consent_buttons_are_refused_under_the_exception(client, statistics_exception, action):
    response = choose(client, action)
    assert response.status_code == 409
    assert "Reload" in response.json()["error"]
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("action", ["object", "hide"])
def test_notice_buttons_are_refused_under_consent(client, cookie_defaults, action):
    response = choose(client, action)
    assert response.status_code == 409
    assert not ConsentRecord.objects.exists()


def test_gpc_is_an_objection(client, statistics_exception):
    assert not consent.visitor(
        client.get(SETTINGS_URL, headers={"Sec-GPC": "1"}).wsgi_request
    ).accepted("analytics")
    # Even "hide" (the banner is not shown under GPC) refuses statistics.
    data = choose(client, "hide", **{"Sec-GPC": "1"}).json()
    assert data["accepted"] == []
    assert latest().decision == "objected" and latest().gpc
    # Only "Yes" on the cookies page overrides it.
    client.post(SETTINGS_URL, {"cookies-analytics": "yes"}, headers={"Sec-GPC": "1"})
    request = client.get(SETTINGS_URL, headers={"Sec-GPC": "1"}).wsgi_request
    assert consent.visitor(request).accepted("analytics")


def test_the_cookies_page_explains_the_exception_and_offers_the_objection(
    client, statistics_exception, settings
):
    settings.ANALYTICS_ID = "G-TEST1234"
    page = client.get(SETTINGS_URL).content.decode()
    for text in [
        "without asking you first",
        "Data (Use and Access) Act 2025",
        "Google may not use or share the data",
        "advertising features are switched off",
        "if you object, we stop at once",
        "Global Privacy Control signal, we treat it as an objection",
        "Google's Consent Mode",
        "Can we use analytics cookies to collect statistics?",
        "No, I object",
        "_ga_*",
    ]:
        assert text in page, text
    # Statistics are on until the visitor objects.
    assert re.search(r'name="cookies-analytics"[^>]*value="yes" checked', page)
    client.cookies["_ga"] = "GA1.1.1.1"
    response = client.post(SETTINGS_URL, {"cookies-analytics": "no"})
    assert response.status_code == 303
    assert response.cookies["_ga"]["max-age"] == 0
    assert latest().decision == "objected" and latest().location == "page"
    page = client.get(SETTINGS_URL).content.decode()
    assert re.search(r'name="cookies-analytics"[^>]*value="no" checked', page)


def test_the_cookies_page_under_consent_says_nothing_of_the_exception(client, cookie_defaults):
    page = client.get(SETTINGS_URL).content.decode()
    assert "without asking you first" not in page
    assert "Do you want to accept analytics cookies?" in page


def test_decisions_with_several_categories(client, cookie_defaults):
    CookieDeclaration.objects.create(
        category=cookie_defaults["marketing"], name="_fbp", provider="Meta", purpose="Ads",
        duration="3 months",
    )
    consent.forget_policy()
    for analytics, marketing, decision in [
        ("yes", "yes", "accepted"), ("no", "no", "rejected"), ("yes", "no", "partly"),
    ]:
        response = client.post(
            SETTINGS_URL, {"cookies-analytics": analytics, "cookies-marketing": marketing}
        )
        assert response.status_code == 303
        assert latest().decision == decision
        assert latest().choices == {"analytics": analytics == "yes",
                                    "marketing": marketing == "yes"}


def test_decisions_under_the_exception_with_a_consent_category(client, statistics_exception,
                                                                cookie_defaults):
    CookieDeclaration.objects.create(
        category=cookie_defaults["marketing"], name="_fbp", provider="Meta", purpose="Ads",
        duration="3 months",
    )
    consent.forget_policy()
    page = client.get(SETTINGS_URL).content.decode()
    assert "Do you want to accept marketing cookies?" in page
    assert "Can we use analytics cookies to collect statistics?" in page
    for analytics, marketing, decision in [
        ("no", "yes", "objected"), ("yes", "no", "informed"), ("yes", "yes", "accepted"),
    ]:
        client.post(SETTINGS_URL, {"cookies-analytics": analytics, "cookies-marketing": marketing})
        assert latest().decision == decision
