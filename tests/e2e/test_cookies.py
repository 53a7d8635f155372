"""The cookie banner and cookies page in a real Chromium.

The machine has no internet: Google's gtag.js is answered by a small local
script (page.route) that sets `_ga` like the real one, and every request is
recorded so the tests can say which were made.
"""

import datetime
import re
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from cookies import consent
from cookies.defaults import install
from cookies.models import ConsentPolicy, ConsentRecord, CookieCategory, CookieDeclaration
from news.models import Category, NewsItem

pytestmark = pytest.mark.django_db(transaction=True)

ANALYTICS_ID = "G-TEST1234"
GTAG = re.compile(r"^https://www\.googletagmanager\.com/gtag/js")
FAKE_GTAG = """
document.cookie = "_ga=GA1.1.1234567890.1700000000; path=/; max-age=63072000; SameSite=Lax";
document.cookie = "_ga_TEST1234=GS1.1.1700000000.1.0.1700000000.0.0.0; path=/; max-age=63072000";
window.fakeGtagLoaded = true;
"""
ACCEPTED = "You've accepted additional cookies. You can change your cookie settings at any time."
REJECTED = "You've rejected additional cookies. You can change your cookie settings at any time."


@pytest.fixture(autouse=True)
def site(settings):
    """Default categories (live-server tests flush the database) and analytics switched on."""
    from django.conf import settings as live

    install(CookieCategory, CookieDeclaration, ConsentPolicy)
    consent.forget_policy()
    settings.ANALYTICS_ID = ANALYTICS_ID
    settings.SECURE_CSP = {
        name: [*sources, *live.ANALYTICS_CSP.get(name, [])]
        for name, sources in live.SECURE_CSP.items()
    }


@pytest.fixture
def requests_made(context):
    """URLs the browser asked for; nothing leaves the machine."""
    made, csp_errors = [], []
    context.on("request", lambda request: made.append(request.url))
    context.on(
        "console",
        lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text),
    )
    # Routes run newest first: gtag.js is answered locally, anything else external aborted.
    context.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort())
    context.route(
        GTAG,
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_GTAG
        ),
    )
    yield made
    # No script was refused: the gated snippet works under the site's CSP.
    assert csp_errors == []


def analytics_requests(made):
    return [url for url in made if GTAG.match(url)]


def cookie_names(context):
    return {cookie["name"] for cookie in context.cookies()}


def strictly_necessary():
    return set(
        CookieDeclaration.objects.filter(category__required=True).values_list("name", flat=True)
    )


def banner(page):
    return page.get_by_role("region", name="Cookies on Claims Portal")


def test_fresh_profile_sees_the_banner_and_only_strictly_necessary_cookies(
    page, context, requests_made
):
    page.goto("/")
    expect(banner(page)).to_be_visible()
    expect(banner(page).get_by_role("heading")).to_have_text("Cookies on Claims Portal")
    # The banner comes before the skip link.
    first = page.evaluate("document.body.firstElementChild.getAttribute('aria-label')")
    assert first == "Cookies on Claims Portal"
    expect(page.get_by_role("button", name="Accept additional cookies")).to_be_visible()
    expect(page.get_by_role("button", name="Reject additional cookies")).to_be_visible()
    expect(page.get_by_role("link", name="View cookies")).to_have_attribute("href", "/cookies/")
    # Browsing on and scrolling are not consent: the banner still asks.
    page.mouse.wheel(0, 2000)
    page.get_by_role("link", name="News and updates").first.click()
    expect(page).to_have_url(re.compile(r"/news/$"))
    expect(page.get_by_role("button", name="Accept additional cookies")).to_be_visible()
    assert cookie_names(context) <= strictly_necessary()
    assert "_ga" not in cookie_names(context)
    assert analytics_requests(requests_made) == []
    assert page.evaluate("window.fakeGtagLoaded === undefined")


def test_accept_loads_the_gated_analytics_without_a_reload(page, context, requests_made):
    page.goto("/news/")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Accept additional cookies").click()

    confirmation = banner(page).get_by_role("alert")
    expect(confirmation).to_have_text(re.compile(re.escape(ACCEPTED)))
    expect(confirmation).to_be_focused()
    expect(page.get_by_role("button", name="Hide cookie message")).to_be_visible()
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    # cookies-analytics.js runs after gtag.js (the activated scripts keep their
    # order), so wait for its gtag("js") and gtag("config") too.
    page.wait_for_function("() => (window.dataLayer || []).length >= 2")
    page.wait_for_function("() => document.cookie.indexOf('cookie_consent=') !== -1")
    assert page.evaluate("window.notReloaded") is True
    assert len(analytics_requests(requests_made)) == 1
    assert {"_ga", "_ga_TEST1234", "cookie_consent"} <= cookie_names(context)
    record = ConsentRecord.objects.get()
    assert record.choices == {"analytics": True} and record.javascript

    page.get_by_role("button", name="Hide cookie message").click()
    expect(banner(page)).to_be_hidden()
    # Later pages load analytics straight away and show no banner.
    page.goto("/")
    expect(banner(page)).to_be_hidden()
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    assert len(analytics_requests(requests_made)) == 2


def test_reject_sets_no_analytics_cookie(page, context, requests_made):
    page.goto("/")
    page.get_by_role("button", name="Reject additional cookies").click()
    confirmation = banner(page).get_by_role("alert")
    expect(confirmation).to_have_text(re.compile(re.escape(REJECTED)))
    expect(confirmation).to_be_focused()
    page.goto("/news/")
    expect(banner(page)).to_be_hidden()
    # The site works fully after "Reject".
    page.get_by_role("link", name="News and updates").first.click()
    expect(page).to_have_url(re.compile(r"/news/$"))
    # The choice is saved once its answer has set the consent cookie.
    page.wait_for_function("() => document.cookie.indexOf('cookie_consent=') !== -1")
    assert "_ga" not in cookie_names(context)
    assert cookie_names(context) <= strictly_necessary()
    assert analytics_requests(requests_made) == []
    assert ConsentRecord.objects.get().choices == {"analytics": False}


def test_reject_in_the_banner_deletes_analytics_cookies_already_set(page, context, live_server):
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([
        {"name": "_ga", "value": "GA1.1.1.1", "domain": host, "path": "/"},
        {"name": "_ga_OLD", "value": "GS1.1.1", "domain": host, "path": "/"},
    ])
    page.goto("/")
    csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
    page.get_by_role("button", name="Reject additional cookies").click()
    expect(banner(page).get_by_role("alert")).to_be_focused()
    page.wait_for_function("() => document.cookie.indexOf('_ga') === -1")
    assert not {"_ga", "_ga_OLD"} & cookie_names(context)
    assert page.evaluate("document.cookie").find("_ga") == -1
    assert csp_errors == []


def test_withdrawal_on_the_cookies_page_deletes_ga(page, context, requests_made):
    page.goto("/news/")
    page.get_by_role("button", name="Accept additional cookies").click()
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    assert "_ga" in cookie_names(context)

    page.get_by_role("link", name="change your cookie settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookies")
    group = page.get_by_role("group", name="Do you want to accept analytics cookies?")
    expect(group.get_by_label("Yes")).to_be_checked()
    group.get_by_label("No").check()
    page.get_by_role("button", name="Save cookie settings").click()

    expect(page.get_by_text("You've set your cookie preferences.")).to_be_visible()
    assert "_ga" not in cookie_names(context)
    assert "_ga_TEST1234" not in cookie_names(context)
    before = len(analytics_requests(requests_made))
    page.get_by_role("link", name="Go back to the page you were looking at").click()
    expect(page).to_have_url(re.compile(r"/news/$"))
    expect(banner(page)).to_be_hidden()
    assert page.evaluate("window.fakeGtagLoaded === undefined")
    assert len(analytics_requests(requests_made)) == before
    assert "_ga" not in cookie_names(context)


def test_the_cookies_page_shows_a_choice_that_landed_after_it_was_requested(page, requests_made):
    """Accept, then at once "change your cookie settings": the page's request
    left before the answer's cookie arrived, so the server drew "No"."""
    page.goto("/news/")
    page.get_by_role("button", name="Accept additional cookies").click()
    page.wait_for_function("() => document.cookie.indexOf('cookie_consent=') !== -1")

    def sent_before_the_cookie(route):
        # The page as the server draws it for a request without the cookie.
        with urllib.request.urlopen(route.request.url) as answer:
            route.fulfill(
                status=answer.status,
                headers={"Content-Type": answer.headers["Content-Type"]},
                body=answer.read(),
            )

    page.route(re.compile(r"/cookies/$"), sent_before_the_cookie)
    page.goto("/cookies/")
    group = page.get_by_role("group", name="Do you want to accept analytics cookies?")
    expect(group.get_by_label("Yes")).to_be_checked()
    expect(group.get_by_label("No")).not_to_be_checked()


def tab_to(page, name, limit=80):
    """Press Tab until the focused element's accessible text is `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            "(document.activeElement.innerText || document.activeElement.value || '').trim()"
        )
        if text == name:
            return
    raise AssertionError(f"{name!r} never took focus")


def test_whole_flow_by_keyboard_alone(page, context, requests_made):
    page.goto("/")
    # The banner's first button is the first thing Tab reaches.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Accept additional cookies"
    page.keyboard.press("Enter")
    confirmation = banner(page).get_by_role("alert")
    expect(confirmation).to_be_focused()
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    page.wait_for_function("() => document.cookie.indexOf('cookie_consent=') !== -1")
    tab_to(page, "Hide cookie message")
    page.keyboard.press("Enter")
    expect(banner(page)).to_be_hidden()

    tab_to(page, "Change Cookie Choices")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookies")
    # Tab reaches the radio group at its checked "Yes"; an arrow key moves to "No".
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "cookies-analytics":
            break
    assert page.evaluate("document.activeElement.value") == "yes"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.value") == "no"
    tab_to(page, "Save cookie settings")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You've set your cookie preferences.")).to_be_visible()
    assert "_ga" not in cookie_names(context)
    assert ConsentRecord.objects.latest("created_at").choices == {"analytics": False}


def test_without_javascript_there_is_no_banner_and_the_cookies_page_works(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort())
    made = []
    context.on("request", lambda request: made.append(request.url))
    try:
        page = context.new_page()
        page.goto("/news/?page=1")
        # Nothing non-essential can be set without JavaScript, so nothing is asked.
        expect(page.get_by_role("button", name="Accept additional cookies")).to_be_hidden()
        page.get_by_role("link", name="Change Cookie Choices").click()
        group = page.get_by_role("group", name="Do you want to accept analytics cookies?")
        expect(group.get_by_label("No")).to_be_checked()
        group.get_by_label("Yes").check()
        page.get_by_role("button", name="Save cookie settings").click()
        expect(page.get_by_text("You've set your cookie preferences.")).to_be_visible()
        page.get_by_role("link", name="Go back to the page you were looking at").click()
        expect(page).to_have_url(re.compile(r"/news/\?page=1$"))
        # The analytics scripts stay inert: only the site's script could start them.
        live_scripts = page.locator('script[src*="gtag/js"]:not([type="text/plain"])')
        expect(live_scripts).to_have_count(0)
        record = ConsentRecord.objects.get()
        assert record.choices == {"analytics": True} and record.javascript is False
        assert analytics_requests(made) == []
        assert "cookie_consent" in cookie_names(context)
    finally:
        context.close()


@pytest.mark.parametrize("lost", ["request", "answer"])
def test_a_choice_survives_leaving_the_page_at_once(page, context, requests_made, lost):
    """The first request is lost, or reaches the site but its answer is lost
    (as when the visitor navigates away before it completes); the next page
    sends the choice again, applies it, and the consent log has it once."""
    attempts = []

    def lose_the_first(route):
        attempts.append(route.request.headers.get("idempotency-key"))
        if len(attempts) == 1:
            if lost == "answer":
                # The site saves the choice; the browser never hears (sent
                # from here, so the answer's cookie stays out of the browser).
                request = route.request
                sent = urllib.request.Request(
                    request.url, data=request.post_data_buffer, headers=request.all_headers()
                )
                with urllib.request.urlopen(sent) as answer:
                    assert answer.status == 200
            route.abort()
        else:
            route.continue_()

    context.route(re.compile(r"/cookies/consent/$"), lose_the_first)
    page.goto("/")
    page.get_by_role("button", name="Accept additional cookies").click()
    page.goto("/news/")
    expect(banner(page)).to_be_hidden()
    page.wait_for_function("() => window.fakeGtagLoaded === true")
    page.wait_for_function("() => document.cookie.indexOf('cookie_consent=') !== -1")
    assert len(attempts) == 2
    assert attempts[0] and attempts[0] == attempts[1]
    assert ConsentRecord.objects.get().choices == {"analytics": True}
    page.goto("/")
    expect(banner(page)).to_be_hidden()
    assert len(attempts) == 2  # nothing left to send


def test_global_privacy_control_is_a_no_to_every_category(browser, live_server):
    context = browser.new_context(base_url=live_server.url, extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    context.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort())
    context.route(GTAG, lambda route: route.fulfill(
        status=200, content_type="application/javascript", body=FAKE_GTAG))
    try:
        page = context.new_page()
        page.goto("/")
        expect(banner(page)).to_be_hidden()
        assert page.evaluate("window.fakeGtagLoaded === undefined")
        page.get_by_role("link", name="Change Cookie Choices").click()
        expect(page.get_by_text("Global Privacy Control")).to_be_visible()
        group = page.get_by_role("group", name="Do you want to accept analytics cookies?")
        group.get_by_label("Yes").check()
        page.get_by_role("button", name="Save cookie settings").click()
        page.goto("/news/")
        # Only an explicit "Yes" on the cookies page turns a category on.
        page.wait_for_function("() => window.fakeGtagLoaded === true")
        assert ConsentRecord.objects.get().gpc is True
    finally:
        context.close()


def test_banner_choice_on_the_cookies_page_updates_its_radios(page, requests_made):
    page.goto("/cookies/")
    group = page.get_by_role("group", name="Do you want to accept analytics cookies?")
    expect(group.get_by_label("No")).to_be_checked()
    page.get_by_role("button", name="Accept additional cookies").click()
    expect(group.get_by_label("Yes")).to_be_checked()


def test_banner_asks_again_after_the_policy_version_is_bumped(page, requests_made):
    page.goto("/")
    page.get_by_role("button", name="Accept additional cookies").click()
    expect(banner(page).get_by_role("alert")).to_be_visible()
    page.goto("/")
    expect(banner(page)).to_be_hidden()
    ConsentPolicy.bump()  # a transactional test: its purge is delivered on commit
    page.goto("/")
    expect(page.get_by_role("button", name="Accept additional cookies")).to_be_visible()
    # The old consent no longer loads analytics.
    assert page.evaluate("window.fakeGtagLoaded === undefined")


def serious_violations(page):
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_accessibility_with_the_banner_and_after_a_choice(page, requests_made):
    category = Category.objects.create(name="Update", slug="update")
    item = NewsItem.objects.create(
        title="Claims Portal service update",
        category=category,
        date=datetime.date(2020, 6, 1),
        summary="A summary.",
        body="<p>The body.</p>",
        status=NewsItem.Status.PUBLISHED,
        published_at=timezone.now() - datetime.timedelta(days=1),
    )
    urls = ["/", "/news/2020/", item.get_absolute_url(), "/cookies/"]
    for state in ("banner showing", "after a choice"):
        if state == "after a choice":
            page.goto("/")
            page.get_by_role("button", name="Accept additional cookies").click()
            expect(banner(page).get_by_role("alert")).to_be_focused()
            # The confirmation itself is checked too.
            assert serious_violations(page) == [], "confirmation"
        for url in urls:
            page.goto(url)
            if state == "banner showing":
                expect(banner(page)).to_be_visible()
            else:
                expect(banner(page)).to_be_hidden()
            assert serious_violations(page) == [], f"{url} with the {state}"
