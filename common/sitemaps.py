from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap

# The surrogate key of the sitemap (common.page_cache): every app whose saves
# change an address or a lastmod in it purges this key.
SITEMAP_KEY = "sitemap"


class SiteUrlSitemap(Sitemap):
    """Builds addresses from settings.SITE_URL rather than the request's host."""

    @property
    def protocol(self):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc
