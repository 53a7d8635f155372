from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from common.page_cache import add_keys, public_page
from common.site_url import absolute_url

from . import surrogate_keys as keys
from .models import Category, NewsItem

FEED_LENGTH = 20


def tag_uri(item):
    """An entry id (RFC 4151) that never changes with the item's address and
    does not pretend to be one: tag:news.example.org,2020-07-02:news-item-42."""
    host = urlsplit(settings.SITE_URL).hostname
    return f"tag:{host},{item.created_at:%Y-%m-%d}:news-item-{item.pk}"


@method_decorator(public_page, name="__call__")
class CachedFeed(Feed):
    """A Feed served through the public page cache."""


class LatestNewsFeed(CachedFeed):
    description_template = None

    def get_object(self, request):
        add_keys(request, keys.LATEST)

    def title(self):
        return f"{settings.SITE_NAME}: news and updates"

    def description(self):
        return f"The latest news and updates from {settings.SITE_NAME}."

    def link(self):
        return absolute_url(reverse("news:index"))

    def feed_url(self):
        return absolute_url(reverse("news:feed"))

    def items(self):
        return NewsItem.objects.published().for_listing()[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Feed readers treat descriptions as HTML; the summary is plain text.
        return escape(item.summary)

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_guid(self, item):
        return tag_uri(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.category.name]

    def item_author_name(self, item):
        # Atom requires an author on every entry; the organisation signs the rest.
        return item.author or settings.SITE_NAME

    def author_name(self):
        return settings.SITE_NAME

    def author_link(self):
        return settings.SITE_URL + "/"


class LatestNewsAtomFeed(LatestNewsFeed):
    feed_type = Atom1Feed
    subtitle = LatestNewsFeed.description

    def feed_url(self):
        return absolute_url(reverse("news:feed-atom"))


class CategoryFeed(LatestNewsFeed):
    def get_object(self, request, slug):
        category = get_object_or_404(Category, slug=slug)
        add_keys(request, keys.category(category.pk), keys.category_latest(category.pk))
        return category

    def title(self, category):
        return f"{settings.SITE_NAME}: {category.name}"

    def description(self, category):
        return category.description or f"{category.name} from {settings.SITE_NAME}."

    def link(self, category):
        return absolute_url(category.get_absolute_url())

    def feed_url(self, category):
        return absolute_url(reverse("news:category-feed", kwargs={"slug": category.slug}))

    def items(self, category):
        return NewsItem.objects.published().for_listing().filter(category=category)[:FEED_LENGTH]


class CategoryAtomFeed(CategoryFeed):
    feed_type = Atom1Feed
    subtitle = CategoryFeed.description

    def feed_url(self, category):
        return absolute_url(reverse("news:category-feed-atom", kwargs={"slug": category.slug}))
