from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import x_robots_tag
from django.template.response import TemplateResponse
from django.urls import reverse

from .site_url import absolute_url

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


class NamedPagesSitemap(SiteUrlSitemap):
    """Pages with no model behind them, by URL name: NamedPagesSitemap("home")."""

    def __init__(self, *url_names, changefreq="daily"):
        self.url_names = url_names
        self.changefreq = changefreq

    def items(self):
        return list(self.url_names)

    def location(self, name):
        return reverse(name)


@x_robots_tag
def sitemap_index(request, sitemaps, section_url_name):
    """/sitemap.xml: the address of each section's sitemap, and of each further
    page of a long one (a section lists at most its `limit` addresses a page).

    As django.contrib.sitemaps.views.index, whose template it renders, but the
    addresses come from SITE_URL (Django's take the request's host), and
    without lastmod, for which Django's reads every item of every section."""
    locations = []
    for section, sitemap in sitemaps.items():
        sitemap = sitemap() if callable(sitemap) else sitemap
        location = absolute_url(reverse(section_url_name, kwargs={"section": section}))
        locations.append(location)
        locations += [f"{location}?p={page}" for page in range(2, sitemap.paginator.num_pages + 1)]
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": [{"location": location} for location in locations]},
        content_type="application/xml",
    )
