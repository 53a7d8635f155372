"""The consent cookie: signing, shape, staleness, GPC and the page-cache variant."""

import time
import uuid

import pytest
from django.core import signing
from django.test import RequestFactory

from cookies import consent
from cookies.models import ConsentPolicy, CookieDeclaration

pytestmark = pytest.mark.django_db


def make_cookie(version=1, choices=None, given_at=None, per_category=False):
    return consent.serialise(
        consent.Consent(
            consent_id=uuid.uuid4().hex,
            version=version,
            given_at=int(time.time()) if given_at is None else given_at,
            choices={"analytics": True} if choices is None else choices,
            per_category=per_category,
        )
    )


def visitor_for(cookie=None, gpc=False):
    headers = {"Sec-GPC": "1"} if gpc else {}
    request = RequestFactory().get("/", headers=headers)
    if cookie is not None:
        request.COOKIES[consent.cookie_name()] = cookie
    return consent.visitor(request)


def test_round_trip(cookie_defaults):
    state = visitor_for(make_cookie(choices={"analytics": True}))
    assert state.consent is not None
    assert state.accepted("analytics")
    assert state.accepted_slugs() == ["analytics"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "a" * 5000,
        "e30:1abc:xyz",  # {} with a made-up signature
        signing.dumps({"i": "x"}, salt="another-salt"),
        # Correctly signed but the wrong shape.
        signing.dumps({"i": "0" * 32, "v": "1", "t": 1, "c": {}, "p": False}, salt=consent.SALT),
        signing.dumps(["not", "a", "dict"], salt=consent.SALT),
        signing.dumps(
            {"i": "0" * 32, "v": 1, "t": 1, "c": {"analytics": "yes"}, "p": False},
            salt=consent.SALT,
        ),
    ],
)
def test_bad_values_mean_no_consent(cookie_defaults, value):
    assert consent.parse(value) is None
    state = visitor_for(value)
    assert state.consent is None
    assert not state.accepted("analytics")


def test_tampered_value_means_no_consent(cookie_defaults):
    good = make_cookie(choices={"analytics": False})
    payload, rest = good.split(":", 1)
    tampered = payload.replace(payload[-2:], "zz") + ":" + rest
    assert consent.parse(tampered) is None
    # Swapping in another payload with the original signature fails too.
    other = make_cookie(choices={"analytics": True}).split(":", 1)[0]
    assert consent.parse(other + ":" + rest) is None


def test_older_policy_version_is_asked_again(cookie_defaults):
    cookie = make_cookie(version=1)
    assert visitor_for(cookie).consent is not None
    ConsentPolicy.bump()
    state = visitor_for(cookie)
    assert state.consent is None
    assert not state.accepted("analytics")


def test_consent_older_than_its_lifetime_is_asked_again(cookie_defaults, settings):
    settings.COOKIE_CONSENT_MAX_AGE_DAYS = 365
    year_and_a_day = 366 * 24 * 60 * 60
    assert visitor_for(make_cookie(given_at=int(time.time()) - 364 * 86400)).consent
    assert visitor_for(make_cookie(given_at=int(time.time()) - year_and_a_day)).consent is None


def test_a_new_secret_key_invalidates_signed_values(cookie_defaults, settings):
    cookie = make_cookie()
    assert consent.parse(cookie) is not None
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another secret key, long enough for the signer " * 2
    assert consent.parse(cookie) is None
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert consent.parse(cookie) is not None


def test_new_non_essential_category_is_asked_again(cookie_defaults):
    cookie = make_cookie(choices={"analytics": True})
    assert visitor_for(cookie).consent is not None
    # Marketing declares no cookies, so it is not in the banner and not asked about…
    assert consent.current_policy().optional_slugs == ("analytics",)
    # …until it declares one.
    CookieDeclaration.objects.create(
        category=cookie_defaults["marketing"], name="_fbp", provider="Meta",
        purpose="Ads", duration="3 months",
    )
    assert consent.current_policy().optional_slugs == ("analytics", "marketing")
    assert visitor_for(cookie).consent is None


def test_gpc_rejects_every_category_unless_chosen_on_the_cookies_page(cookie_defaults):
    CookieDeclaration.objects.create(
        category=cookie_defaults["marketing"], name="_fbp", provider="Meta",
        purpose="Ads", duration="3 months",
    )
    all_yes = {"analytics": True, "marketing": True}
    accept_all = make_cookie(choices=all_yes)
    assert visitor_for(accept_all).accepted("marketing")
    assert not visitor_for(accept_all, gpc=True).accepted("marketing")
    assert not visitor_for(accept_all, gpc=True).accepted("analytics")
    explicit = make_cookie(choices=all_yes, per_category=True)
    assert visitor_for(explicit, gpc=True).accepted_slugs() == ["analytics", "marketing"]


def test_policy_is_cached_between_requests(cookie_defaults, django_assert_num_queries):
    consent.forget_policy()
    # The policy row, the optional categories' declarations.
    with django_assert_num_queries(2):
        consent.current_policy()
    with django_assert_num_queries(0):
        consent.current_policy()
