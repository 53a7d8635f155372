from django.db.models import Max
from django.urls import reverse

from common.sitemaps import SiteUrlSitemap

from .models import Release
from .views import public_measures


class ManagementInformationSitemap(SiteUrlSitemap):
    """The release pages, the measure pages and every download, with the
    index pages (three queries)."""

    changefreq = "monthly"

    def items(self):
        releases = list(Release.objects.published().only("period", "updated_at")
                        .order_by("-period"))
        newest = releases[0].updated_at if releases else None
        entries = [
            (reverse("management_information:latest"), newest),
            (reverse("management_information:measures"), newest),
            (reverse("management_information:calendar"), None),
        ]
        for release in releases:
            entries.append((release.get_absolute_url(), release.updated_at))
            entries += [
                (reverse("management_information:release-download",
                         kwargs={**release.url_kwargs, "format": fmt}), release.updated_at)
                for fmt in ("csv", "json", "xlsx")
            ]
        for measure in public_measures().annotate(lastmod=Max("figures__release__updated_at")):
            entries.append((measure.get_absolute_url(), measure.lastmod))
            entries += [
                (reverse("management_information:measure-download",
                         kwargs={"code": measure.code, "format": fmt}), measure.lastmod)
                for fmt in ("csv", "json")
            ]
        return entries

    def location(self, entry):
        return entry[0]

    def lastmod(self, entry):
        return entry[1]


sitemaps = {"management-information": ManagementInformationSitemap}
