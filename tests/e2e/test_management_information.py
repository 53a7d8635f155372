"""Management information in a real browser: the charts read at 320 pixels, in
print and without JavaScript, and axe finds nothing serious on the pages or on
the admin dashboard's figures."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.management import call_command

from tests.e2e.test_reflow import overflow
from tests.management_information.helpers import a_sent_digest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PAGES = [
    "/management-information/",
    "/management-information/2020/06/",
    "/management-information/measures/",
    "/management-information/measures/rta-claims-notified/",
    "/management-information/calendar/",
]


@pytest.fixture
def demo():
    call_command("load_demo_content", stdout=open("/dev/null", "w"))


def serious(page, context=None):
    results = Axe().run(page, context=context)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def label_heights(page):
    """The rendered heights of the first chart's axis labels, in CSS pixels."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.chart__svg text')].slice(0, 6)
                 .map(text => text.getBoundingClientRect().height)"""
    )


def test_axe_finds_nothing_serious_on_the_pages(page, demo):
    failures = {}
    for url in PAGES:
        page.goto(url)
        found = serious(page)
        if found:
            failures[url] = found
    assert not failures, failures


def test_at_320_pixels_nothing_scrolls_sideways_and_the_charts_text_is_readable(browser,
                                                                                live_server,
                                                                                demo):
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    failures = {}
    for url in PAGES:
        page.goto(url)
        measured = overflow(page)
        if measured["scroll"] > measured["width"]:
            failures[url] = measured
    page.goto(PAGES[0])
    heights = label_heights(page)
    context.close()
    assert not failures, failures
    # 14 units in a 320-unit drawing in a 290-pixel column: about 12 pixels high.
    assert heights and min(heights) >= 11, heights


def test_in_print_every_figure_is_on_paper(page, demo):
    page.goto(PAGES[0])
    page.emulate_media(media="print")
    printed = page.evaluate(
        """() => [...document.querySelectorAll('.chart')].map(chart => {
            const table = chart.querySelector('.chart__table');
            const svg = chart.querySelector('.chart__svg').getBoundingClientRect();
            return {svg: svg.width, clipped: table.scrollHeight > table.clientHeight + 1,
                    style: getComputedStyle(table).maxHeight};
        })"""
    )
    assert len(printed) == 9
    assert all(chart["svg"] > 200 and not chart["clipped"] for chart in printed), printed
    assert page.pdf()[:4] == b"%PDF"


def test_the_charts_need_no_javascript(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(PAGES[1])
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() == 9
    assert charts.first.is_visible()
    assert page.locator("figure.chart table tbody tr").count() == 9 * 5  # Feb to June 2020
    context.close()


def test_the_dashboards_figures_are_accessible(page, live_server, demo):
    a_sent_digest()
    User.objects.create_superuser("root", password="a-long-password-9")
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "a-long-password-9")
    page.click("input[type=submit]")
    page.goto("/admin/")
    assert page.locator("#dashboard figure.chart").count() == 3
    assert serious(page, context="#dashboard") == []
    # Its table takes the keyboard focus, so it can be scrolled without a mouse.
    page.locator("#dashboard .chart__table").first.focus()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
