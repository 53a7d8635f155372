"""Printed pages show where their links lead, as addresses a reader can type."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def item(make_item):
    return make_item(title="Attention A2A Users")


def after_content(page, selector):
    return page.eval_on_selector(selector, "a => getComputedStyle(a, '::after').content")


def test_printed_links_show_absolute_addresses(page, item, settings, live_server):
    settings.SITE_URL = "https://news.example.org"
    page.goto("/news/2020/")
    link = f'.main a[href="{item.get_absolute_url()}"]'
    assert after_content(page, link) in ("none", "normal")  # not on screen
    page.emulate_media(media="print")
    shown = after_content(page, link)
    assert f"https://news.example.org{item.get_absolute_url()}" in shown, shown
    # The site's own header and footer are not printed.
    assert not page.is_visible(".site-header")
