"""The project's URLs plus the baselines every page is compared with:

* /bench/constant/: a constant page that does no work of its own;
  BENCH_CONSTANT_PAGE_SIZE makes it the same number of bytes as the page it is
  compared with;
* /bench/baseline/…: the same year, item and search pages as Django renders
  them out of the box, Wagtail-like: a plain template (bench/templates/bench/)
  that reverses every address and formats every date per request, from items
  read once per process and kept in memory (no database, no cache).

Both go through the same middleware and gunicorn workers as the site's pages.
"""

import os

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from portal_site import urls as site_urls

SIZE = int(os.environ.get("BENCH_CONSTANT_PAGE_SIZE", "20000"))
_HEAD = b'<!DOCTYPE html>\n<html lang="en-GB"><head><title>Constant page</title></head><body>\n'
_TAIL = b"</body></html>\n"
_FILL = b"<p>The same bytes on every request, served without touching the database.</p>\n"
PAGE = _HEAD + (_FILL * (SIZE // len(_FILL) + 1))[: max(0, SIZE - len(_HEAD) - len(_TAIL))] + _TAIL
SEARCH_PAGE_SIZE = 20
_kept = {}  # what each baseline shows, read on its first request


def constant_page(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


def _once(key, read):
    if key not in _kept:
        _kept[key] = read()
    return _kept[key]


def baseline_year(request, year):
    from news.models import NewsItem

    items = _once(("year", year), lambda: list(
        NewsItem.objects.filter(archive_year=year).select_related("category")[:50]
    ))
    return render(request, "bench/year.html", {"year": year, "items": items,
                                               "description": f"News from {year}."})


def baseline_item(request, year, slug):
    from news.models import NewsItem

    def read():
        item = NewsItem.objects.select_related("category").get(archive_year=year, slug=slug)
        older, newer = NewsItem.objects.neighbours(item)
        return {"item": item, "older": older, "newer": newer, "description": item.summary}

    return render(request, "bench/item.html", _once(("item", year, slug), read))


def baseline_search(request):
    from news.search import search

    query = request.GET.get("q", "")

    def read():
        found = search(query, category=None, year=None)
        return {"items": list(found[:SEARCH_PAGE_SIZE]), "count": found.count()}

    context = {"query": query, "description": "Search.", **_once(("search", query), read)}
    return render(request, "bench/search.html", context)


# The site's own patterns, not an include() of them: a page is resolved through
# the same levels as in production, and the bench's pages cost one pattern more.
urlpatterns = [
    path("bench/constant/", constant_page, name="bench-constant"),
    path("bench/baseline/<int:year>/", baseline_year),
    path("bench/baseline/<int:year>/<slug:slug>/", baseline_item),
    path("bench/baseline/search/", baseline_search),
    *site_urls.urlpatterns,
]
