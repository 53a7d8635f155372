"""The news app's sections of /sitemap.xml (portal_site/urls.py composes the apps')."""

from django.db.models import Max
from django.db.models.functions import Coalesce
from django.urls import reverse

from common.sitemaps import NamedPagesSitemap, SiteUrlSitemap

from .models import Category, DocumentSeries, NewsItem, published_condition


def last_change(path="", published=None):
    """The newest NewsItem.public_modified_at among the items at `path` (an
    aggregate; `published` filters them)."""
    return Max(Coalesce(f"{path}public_updated_at", f"{path}published_at"), filter=published)


class NewsItemSitemap(SiteUrlSitemap):
    changefreq = "yearly"
    limit = 5000

    def items(self):
        fields = ["slug", "archive_year", "public_updated_at", "published_at"]
        return NewsItem.objects.published().only(*fields).order_by("pk")

    def lastmod(self, item):
        return item.public_modified_at


class YearSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return list(
            NewsItem.objects.published()
            .values("archive_year")
            .annotate(lastmod=last_change())
            .order_by("-archive_year")
        )

    def location(self, year):
        return reverse("news:year", kwargs={"year": year["archive_year"]})

    def lastmod(self, year):
        return year["lastmod"]


class CategorySitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self):
        published = published_condition("items__")
        return list(Category.objects.annotate(lastmod=last_change("items__", published)))

    def lastmod(self, category):
        return category.lastmod


class DocumentSeriesSitemap(SiteUrlSitemap):
    """/documents/<series>/ of every series with a published version."""

    changefreq = "monthly"

    def items(self):
        published = published_condition("versions__item__")
        series = DocumentSeries.objects.annotate(lastmod=last_change("versions__item__", published))
        return list(series.filter(lastmod__isnull=False))

    def lastmod(self, series):
        return series.lastmod


sitemaps = {
    "news": NamedPagesSitemap("news:index", "news:categories"),
    "items": NewsItemSitemap,
    "years": YearSitemap,
    "categories": CategorySitemap,
    "documents": DocumentSeriesSitemap,
}
