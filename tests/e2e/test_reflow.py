"""Every page type reflows at 320 CSS pixels (WCAG 1.4.10): nothing makes the
page scroll sideways, with the demo content and a long contact address."""

import pytest

from cookies.models import CookieCategory, CookieDeclaration
from maintenance.models import MaintenanceNotice

from .page_types import PAGES, load_demo_site

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LONG_EMAIL = "accessible-formats-and-general-enquiries@news.claims-portal-example.org.uk"


@pytest.fixture
def demo(settings):
    settings.CONTACT_EMAIL = LONG_EMAIL
    load_demo_site()
    # A cookie with a long name, as analytics cookies have.
    CookieDeclaration.objects.create(
        category=CookieCategory.objects.first(),
        name="_ga_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        purpose="Distinguishes visits.",
        duration="2 years",
    )


def overflow(page):
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                .slice(0, 5).map(el => el.tagName + '.' + el.className);
            return {scroll: document.documentElement.scrollWidth, width, wide};
        }"""
    )


def test_every_page_type_reflows_at_320_pixels(browser, live_server, demo):
    notice = MaintenanceNotice.objects.get(title="Scheduled overnight maintenance")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 320, "height": 640}
    )
    page = context.new_page()
    failures = {}
    for url in [*PAGES, notice.get_absolute_url()]:
        page.goto(url)
        measured = overflow(page)
        if measured["scroll"] > measured["width"]:
            failures[url] = measured
    context.close()
    assert not failures, failures
