"""The cookie banner moves nothing, and no page has an accessibility fault.

The banner's space is decided before the first paint (static/js/cookie-state.js
sets a class on <html> from <head>), so the layout shift measured with the
browser's Layout Instability API stays at or below 0.05 on every page type,
with and without a stored choice, whenever cookies.js arrives: these tests
hold it back 0.3 seconds, which is what made the banner's reveal a race.
axe-core (its best-practice rules included) reports nothing on every page type
at 320 and 1280 CSS pixels, banner shown and hidden.
"""

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .cookie_helpers import analytics_on, banner, consent_saved, offline
from .page_types import PAGES, load_demo_site

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CLS_LIMIT = 0.05
WIDTHS = [320, 1280]

# The sum of layout shifts not caused by input (as Lighthouse's CLS counts a
# page load), read once the load is over and two frames have been drawn.
LAYOUT_SHIFT = """() => new Promise(resolve => {
    let total = 0;
    new PerformanceObserver(list => {
        for (const entry of list.getEntries()) {
            if (!entry.hadRecentInput) total += entry.value;
        }
    }).observe({type: "layout-shift", buffered: true});
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => resolve(total), 150)));
})"""


def late_cookies_script(context):
    """cookies.js arrives 0.3 s after everything else (a slow connection)."""

    def hold(route):
        time.sleep(0.3)
        route.continue_()

    context.route("**/static/js/cookies.js", hold)


def browse(browser, live_server, width, stored_choice, action="accept"):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}
    )
    context.set_default_timeout(10_000)
    offline(context)
    page = context.new_page()
    if stored_choice:
        page.goto("/cookies/")
        page.locator(f'[data-cookie-choice][value="{action}"]').click()
        consent_saved(page)
    late_cookies_script(context)
    return context, page


def expect_banner(page, shown):
    if shown:
        expect(banner(page)).to_be_visible()
    else:
        expect(banner(page)).to_be_hidden()


def violations(page):
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page).response["violations"]
    ]


@pytest.fixture
def demo(settings):
    analytics_on(settings)
    load_demo_site()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("stored_choice", [False, True], ids=["banner shown", "choice stored"])
def test_no_layout_shift_and_no_axe_violation_on_any_page_type(
    browser, live_server, demo, width, stored_choice
):
    context, page = browse(browser, live_server, width, stored_choice)
    shifts, faults = {}, {}
    try:
        for url in PAGES:
            page.goto(url)
            expect_banner(page, shown=not stored_choice)
            shift = page.evaluate(LAYOUT_SHIFT)
            if shift > CLS_LIMIT:
                shifts[url] = round(shift, 3)
            if found := violations(page):
                faults[url] = found
    finally:
        context.close()
    assert shifts == {}, f"layout shift over {CLS_LIMIT}"
    assert faults == {}


@pytest.mark.parametrize("stored_choice", [False, True], ids=["notice shown", "objected"])
def test_the_statistics_notice_moves_nothing_either(browser, live_server, demo, settings,
                                                    stored_choice):
    analytics_on(settings, basis="exception")
    context, page = browse(browser, live_server, 320, stored_choice, action="object")
    try:
        for url in ["/", "/news/2020/", "/cookies/"]:
            page.goto(url)
            expect_banner(page, shown=not stored_choice)
            assert page.evaluate(LAYOUT_SHIFT) <= CLS_LIMIT, url
            assert violations(page) == [], url
    finally:
        context.close()


def test_the_measure_sees_a_banner_revealed_after_the_first_paint(browser, live_server, demo):
    """Control: without the class set in <head> (the old way: the script reveals
    the banner when it arrives) the same measure finds the shift."""
    context, page = browse(browser, live_server, 1280, stored_choice=False)
    context.route(
        "**/static/js/cookie-state.js",
        lambda route: route.fulfill(
            content_type="application/javascript",
            # The state script's decision, without the class on <html>.
            body="window.cookieConsent = {config: JSON.parse(document.getElementById("
            "'cookie-policy').textContent), allowed: [], allowedBy: function () { return []; },"
            " showBanner: true, PENDING_KEY: 'cookie-consent-pending'};",
        ),
    )
    try:
        page.goto("/news/2020/")
        expect(banner(page)).to_be_visible()
        assert page.evaluate(LAYOUT_SHIFT) > 0.1
    finally:
        context.close()
