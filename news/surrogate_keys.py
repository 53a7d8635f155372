"""The surrogate keys of news pages (common.page_cache): what each page shows,
and what each save changes.

| key | on the pages that show |
|---|---|
| `news-item-<id>` | the item: its page, the year and category pages listing it, its |
| | documents, its old addresses' redirects |
| `news-year-<year>` | the list of a yearly archive (every page of it) |
| `news-category-<id>` | the category's name and address (its pages, items, lists, feeds) |
| `news-category-<id>-items` | the list of a category (every page of it) |
| `news-category-<id>-latest` | the newest items of a category (its feeds) |
| `news-latest` | the newest items (home, news index, the feeds) |
| `news-counts` | the number of items per year and per category (news index, categories) |
| `news-categories` | the list of categories (categories page, search form) |
| `news-search` | every search |
| `news-series-<id>` | a document series' page |
| `news-document-<id>` | a document's download |

Lists that are not fetched in the view (the latest items, cached as a
fragment) carry no item keys: a save purges `news-latest` when the item is,
or was, among the LATEST_LENGTH newest. An item page shows its neighbours'
titles: a save purges the keys of the items next to it when that changes.
"""

from django.db.models import Q
from django.utils import timezone

from common.page_cache import NOT_FOUND_KEY
from common.sitemaps import SITEMAP_KEY

LATEST = "news-latest"
COUNTS = "news-counts"
CATEGORIES = "news-categories"
SEARCH = "news-search"
# The longest list of newest items (the feeds): no item further down is on one.
LATEST_LENGTH = 20
# What decides where an item is listed; any other field is only shown.
PLACEMENT = (
    "status", "published_at", "expires_at", "archive_year", "slug", "category_id", "date",
    "position",
)
FIELDS = ("pk", "title", *PLACEMENT)


def item(pk):
    return f"news-item-{pk}"


def year(number):
    return f"news-year-{number}"


def category(pk):
    return f"news-category-{pk}"


def category_items(pk):
    return f"news-category-{pk}-items"


def category_latest(pk):
    return f"news-category-{pk}-latest"


def series(pk):
    return f"news-series-{pk}"


def document(pk):
    return f"news-document-{pk}"


def listed(items):
    """The keys of a list page showing `items` (each shows its category too)."""
    return {key for i in items for key in (item(i.pk), category(i.category_id))}


# --- what a save changes ---------------------------------------------------------------


def snapshot(news_item):
    """What decides which pages show an item: {field: value}."""
    return {field: getattr(news_item, field) for field in FIELDS}


def stored_snapshot(pk):
    """The snapshot of the item as the database holds it, or None."""
    from .models import NewsItem

    return NewsItem.objects.filter(pk=pk).values(*FIELDS).first()


def _listed(state, now):
    """Online or scheduled: pages list it now or will at its publication time."""
    from .models import NewsItem

    return state["status"] == NewsItem.Status.PUBLISHED and (
        state["expires_at"] is None or state["expires_at"] > now
    )


def _online(state, now):
    return _listed(state, now) and state["published_at"] <= now


def _as_item(state):
    from .models import NewsItem

    return NewsItem(**{("id" if f == "pk" else f): state[f] for f in FIELDS})


def _newest_keys(state):
    """news-latest and the category's latest key, for those lists the item is
    (or at its publication time will be) among the newest of."""
    from .models import NewsItem

    d, position, pk = state["date"], state["position"], state["pk"]
    newer = NewsItem.objects.published().exclude(pk=pk).filter(
        Q(date__gt=d) | Q(date=d, position__lt=position) | Q(date=d, position=position, pk__gt=pk)
    )
    keys = set()
    if newer[:LATEST_LENGTH].count() < LATEST_LENGTH:
        keys.add(LATEST)
    if newer.filter(category_id=state["category_id"])[:LATEST_LENGTH].count() < LATEST_LENGTH:
        keys.add(category_latest(state["category_id"]))
    return keys


def _neighbour_keys(state):
    """The items whose pages link to this one as older or newer."""
    from .models import NewsItem

    neighbours = NewsItem.objects.published().exclude(pk=state["pk"]).neighbours(_as_item(state))
    return {item(n.pk) for n in neighbours if n is not None}


def where_listed(state):
    """Every page that lists the item in `state`, or links to it."""
    keys = {
        item(state["pk"]), year(state["archive_year"]), category_items(state["category_id"]),
        COUNTS, SEARCH, SITEMAP_KEY, NOT_FOUND_KEY,
    }
    return keys | _newest_keys(state) | _neighbour_keys(state)


def changed_by_save(before, after):
    """The keys a save changes, from the item's snapshots before and after it
    (None: it did not exist / no longer exists)."""
    now = timezone.now()
    moved = before is None or after is None or any(before[f] != after[f] for f in PLACEMENT)
    if moved:
        keys = set()
        for state in (before, after):
            if state is not None and _listed(state, now):
                keys |= where_listed(state)
        return keys
    if not _online(after, now):
        return set()  # a draft or a scheduled item: no page shows its content yet
    keys = {item(after["pk"]), SEARCH, SITEMAP_KEY} | _newest_keys(after)
    if before["title"] != after["title"]:
        keys |= _neighbour_keys(after)
    return keys

