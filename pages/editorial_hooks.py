"""Standing pages under review and the pages permissions of the staff roles
(settings.EDITORIAL_REGISTRATIONS)."""

from common.page_cache import NOT_FOUND_KEY
from common.sitemaps import SITEMAP_KEY
from editorial.registry import Registration, Review

from .views import page_key


def standing_page_keys(page):
    """Its page; the sitemap and the 404 page, should it go offline."""
    return {page_key(page.pk), SITEMAP_KEY, NOT_FOUND_KEY}


EDITORS = ["pages.add_standingpage", "pages.change_standingpage", "pages.view_standingpage"]

registration = Registration(
    reviews=[
        Review("pages.StandingPage", preview_template="pages/page.html", preview_name="page",
               page_keys=standing_page_keys)
    ],
    roles={
        "Editors": EDITORS,
        "Publishers": EDITORS + ["pages.publish_standingpage", "pages.delete_standingpage"],
    },
)
