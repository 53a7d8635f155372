"""What the cookie browser tests share: analytics switched on, Google's tag
answered locally, the banner, and the cookie policy's basis.

The machine has no internet: gtag.js is answered by a small local script
that sets `_ga` and `_ga_<id>` like the real one; anything else external is
aborted, so nothing leaves the machine.
"""

import re

from cookies import consent

ANALYTICS_ID = "G-TEST1234"
GTAG = re.compile(r"^https://www\.googletagmanager\.com/gtag/js")
FAKE_GTAG = """
document.cookie = "_ga=GA1.1.1234567890.1700000000; path=/; max-age=63072000; SameSite=Lax";
document.cookie = "_ga_TEST1234=GS1.1.1700000000.1.0.1700000000.0.0.0; path=/; max-age=63072000";
window.fakeGtagLoaded = true;
"""
EXTERNAL = re.compile(r"^https?://(?!localhost|127\.0\.0\.1)")


def analytics_on(settings, basis="consent"):
    """ANALYTICS_ID set (and the CSP that goes with it), statistics on `basis`."""
    from django.conf import settings as live

    settings.ANALYTICS_ID = ANALYTICS_ID
    settings.SECURE_CSP = {
        name: [*sources, *live.ANALYTICS_CSP.get(name, [])]
        for name, sources in live.SECURE_CSP.items()
    }
    settings.COOKIE_STATISTICS_BASIS = basis
    consent.forget_policy()


def offline(context):
    """Routes run newest first: gtag.js answered locally, anything else external aborted."""
    context.route(EXTERNAL, lambda route: route.abort())
    context.route(
        GTAG,
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_GTAG
        ),
    )


def analytics_requests(made):
    return [url for url in made if GTAG.match(url)]


def cookie_names(context):
    return {cookie["name"] for cookie in context.cookies()}


def banner(page):
    return page.get_by_role("region", name="Cookies on Claims Portal")


def consent_saved(page):
    """Wait until the answer to a banner choice has set the consent cookie."""
    page.wait_for_function("() => document.cookie.indexOf('cookie_consent=') !== -1")


def consent_mode(page):
    """Google Consent Mode commands in the page's data layer, in order."""
    return page.evaluate(
        """() => (window.dataLayer || [])
            .filter(entry => entry[0] === 'consent')
            .map(entry => [entry[1], Object.assign({}, entry[2])])"""
    )
