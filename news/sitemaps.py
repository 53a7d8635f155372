from django.db.models import Max, Q
from django.urls import reverse

from common.sitemaps import SiteUrlSitemap

from .models import Category, NewsItem


class NewsItemSitemap(SiteUrlSitemap):
    changefreq = "yearly"
    limit = 5000

    def items(self):
        fields = ["slug", "archive_year", "updated_at"]
        return NewsItem.objects.published().only(*fields).order_by("pk")

    def lastmod(self, item):
        return item.updated_at


class YearSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return list(
            NewsItem.objects.published()
            .values("archive_year")
            .annotate(lastmod=Max("updated_at"))
            .order_by("-archive_year")
        )

    def location(self, year):
        return reverse("news:year", kwargs={"year": year["archive_year"]})

    def lastmod(self, year):
        return year["lastmod"]


class CategorySitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self):
        published = Q(items__in=NewsItem.objects.published())
        return list(Category.objects.annotate(lastmod=Max("items__updated_at", filter=published)))

    def lastmod(self, category):
        return category.lastmod


class PageSitemap(SiteUrlSitemap):
    changefreq = "daily"

    def items(self):
        return ["home", "news:index", "newsletter:signup"]

    def location(self, name):
        return reverse(name)


sitemaps = {
    "pages": PageSitemap,
    "items": NewsItemSitemap,
    "years": YearSitemap,
    "categories": CategorySitemap,
}
