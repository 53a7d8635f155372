"""The maintenance app's sections of /sitemap.xml (portal_site/urls.py composes the apps')."""

from common.sitemaps import NamedPagesSitemap, SiteUrlSitemap

from .models import MaintenanceNotice


class MaintenanceNoticeSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return MaintenanceNotice.objects.published().only("updated_at").order_by("pk")

    def lastmod(self, notice):
        return notice.updated_at


sitemaps = {
    "maintenance": NamedPagesSitemap("maintenance:list", changefreq="weekly"),
    "maintenance-notices": MaintenanceNoticeSitemap,
}
