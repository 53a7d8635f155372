"""The standing pages' section of /sitemap.xml (portal_site/urls.py composes the apps')."""

from common.sitemaps import SiteUrlSitemap

from .models import StandingPage


class StandingPageSitemap(SiteUrlSitemap):
    changefreq = "yearly"

    def items(self):
        return StandingPage.objects.published().only("slug", "updated_at")

    def lastmod(self, page):
        return page.updated_at


sitemaps = {"pages": StandingPageSitemap}
