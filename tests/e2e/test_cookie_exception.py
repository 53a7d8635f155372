"""COOKIE_STATISTICS_BASIS=exception in a real Chromium: statistics without
asking, a notice with a one-click objection that stops them at once, GPC as an
objection, Google Consent Mode kept in step."""

import re

import pytest
from playwright.sync_api import expect

from cookies.defaults import install
from cookies.models import ConsentPolicy, ConsentRecord, CookieCategory, CookieDeclaration

from .cookie_helpers import (
    analytics_on,
    analytics_requests,
    banner,
    consent_mode,
    consent_saved,
    cookie_names,
    offline,
)

pytestmark = pytest.mark.django_db(transaction=True)

OBJECTED = "You've objected to analytics cookies"


@pytest.fixture(autouse=True)
def site(settings):
    install(CookieCategory, CookieDeclaration, ConsentPolicy)
    analytics_on(settings, basis="exception")


@pytest.fixture
def made(context):
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    offline(context)
    return requests


def test_statistics_run_without_asking_behind_a_notice(page, context, made):
    page.goto("/news/")
    expect(banner(page)).to_be_visible()
    expect(banner(page)).to_contain_text("We also use analytics cookies to collect statistics")
    expect(page.get_by_role("button", name="Object to analytics cookies")).to_be_visible()
    expect(page.get_by_role("button", name="Hide cookie message")).to_be_visible()
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    assert {"_ga", "_ga_TEST1234"} <= cookie_names(context)
    modes = consent_mode(page)
    # Denied before the tag loads, then the exception's update; ads stay denied.
    assert modes[0][0] == "default" and set(modes[0][1].values()) == {"denied"}
    assert modes[1] == ["update", {"analytics_storage": "granted"}]
    assert not ConsentRecord.objects.exists()  # nothing to log: nobody chose anything


def test_object_stops_statistics_at_once_and_deletes_their_cookies(page, context, made):
    page.goto("/news/")
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Object to analytics cookies").click()
    confirmation = banner(page).get_by_role("alert")
    expect(confirmation).to_contain_text(OBJECTED)
    expect(confirmation).to_be_focused()
    # At once, on this page: the tag is told to stop and its cookies are gone.
    assert page.evaluate("window['ga-disable-G-TEST1234']") is True
    assert consent_mode(page)[-1] == ["update", {"analytics_storage": "denied"}]
    assert not {"_ga", "_ga_TEST1234"} & cookie_names(context)
    assert page.evaluate("window.notReloaded") is True
    consent_saved(page)
    record = ConsentRecord.objects.get()
    assert record.decision == "objected" and record.choices == {"analytics": False}
    # Later pages: no notice, no tag.
    before = len(analytics_requests(made))
    page.goto("/")
    expect(banner(page)).to_be_hidden()
    page.goto("/news/2020/")
    assert page.evaluate("window.fakeGtagLoaded === undefined")
    assert len(analytics_requests(made)) == before
    assert "_ga" not in cookie_names(context)


def test_hide_keeps_statistics_and_the_notice_goes(page, context, made):
    page.goto("/")
    page.get_by_role("button", name="Hide cookie message").click()
    expect(banner(page)).to_be_hidden()
    consent_saved(page)
    assert ConsentRecord.objects.get().decision == "informed"
    page.goto("/news/")
    expect(banner(page)).to_be_hidden()
    page.wait_for_function("() => window.fakeGtagLoaded === true")


def test_the_cookies_page_offers_the_same_objection(page, context, made):
    page.goto("/news/")
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    page.get_by_role("link", name="View cookies").click()
    group = page.get_by_role("group", name="Can we use analytics cookies to collect statistics?")
    expect(group.get_by_label("Yes")).to_be_checked()
    group.get_by_label("No, I object").check()
    page.get_by_role("button", name="Save cookie settings").click()
    expect(page.get_by_text("You've set your cookie preferences.")).to_be_visible()
    assert "_ga" not in cookie_names(context)
    record = ConsentRecord.objects.get()
    # Sent by a browser running the site's script: logged as such.
    assert record.decision == "objected" and record.javascript is True
    assert record.method == "Cookies page, form with JavaScript"
    expect(page.locator("[data-consent-reference] code")).to_have_text(str(record.consent_id))
    page.get_by_role("link", name="Go back to the page you were looking at").click()
    expect(page).to_have_url(re.compile(r"/news/$"))
    expect(banner(page)).to_be_hidden()
    assert page.evaluate("window.fakeGtagLoaded === undefined")


def test_global_privacy_control_is_an_objection(browser, live_server):
    context = browser.new_context(base_url=live_server.url, extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    offline(context)
    context.add_cookies([{"name": "_ga", "value": "GA1.1.1.1", "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto("/")
        expect(banner(page)).to_be_hidden()
        # Cookies set before (another basis, another day) are deleted too.
        page.wait_for_function("() => document.cookie.indexOf('_ga') === -1")
        assert page.evaluate("window.fakeGtagLoaded === undefined")
        assert consent_mode(page)[-1] == ["update", {"analytics_storage": "denied"}]
        assert not ConsentRecord.objects.exists()
    finally:
        context.close()
