"""Search of published news: PostgreSQL full-text search on a stored,
GIN-indexed vector (title over summary over body), with highlighted snippets;
other databases fall back to a case-insensitive substring match."""

import contextlib
import html
import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.safestring import mark_safe

from .models import NewsItem

CONFIG = "english"
# The most results a search shows (newest matches first, then ranked).
MAX_RESULTS = 500
# ts_headline marks matches with these private-use characters; the snippet
# is escaped whole and only they become <mark>, so neither an item's text nor
# the query can put markup on the page.
START, STOP = "\ue000", "\ue001"


class StripTags(Func):
    """The body's text without its tags, for the vector and the snippets."""

    function = "regexp_replace"
    template = "%(function)s(%(expressions)s, '<[^>]*>', ' ', 'g')"
    output_field = TextField()


def search_vector():
    """The expression stored in NewsItem.search_vector."""
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("summary", weight="B", config=CONFIG)
        + SearchVector(StripTags(Coalesce("body", Value(""))), weight="C", config=CONFIG)
    )


@contextlib.contextmanager
def custom_query_plans():
    """Within the block (a transaction), PostgreSQL plans each query for its
    parameters (plan_cache_mode = force_custom_plan): searches are planned for
    their actual words. The site otherwise plans repeated queries once per
    connection (DATABASE_PREPARED_STATEMENTS); a plan made without the words
    cannot tell a rare word, for which the GIN index is the way, from a common
    one, and PostgreSQL then reads the whole table."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield


def search(query, category=None, year=None):
    """Published items matching `query`, best first, as listing rows; optionally
    of one category and one archive year."""
    items = NewsItem.objects.published()
    if category is not None:
        items = items.filter(category=category)
    if year is not None:
        items = items.filter(archive_year=year)
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, search_type="websearch", config=CONFIG)
        # Rank at most the MAX_RESULTS newest matches: ranking every item that
        # holds a common word costs seconds on 100,000 items; the newest
        # matches are found by walking the date index (bench/search.py).
        newest = (
            items.filter(search_vector=search_query)
            .order_by("-date", "position", "-pk")
            .values("pk")[:MAX_RESULTS]
        )
        return (
            NewsItem.objects.filter(pk__in=newest)
            .annotate(rank=SearchRank(F("search_vector"), search_query))
            .order_by("-rank", "-date", "position", "-pk")
            .listing()
        )
    condition = Q()
    for word in query.split()[:10]:
        condition &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
    return items.filter(condition).listing()


def highlighted(text):
    """`text` from ts_headline (which keeps the body's entities), escaped, with
    only its own match markers turned into <mark>."""
    text = html.escape(html.unescape(text), quote=False)
    return mark_safe(text.replace(START, "<mark>").replace(STOP, "</mark>"))


def _marked_summary(summary, query):
    """The fallback's snippet: the summary with the query's words marked."""
    words = [re.escape(html.escape(word, quote=False)) for word in query.split()[:10] if word]
    text = html.escape(summary, quote=False)
    if words:
        text = re.sub("(" + "|".join(words) + ")", r"<mark>\1</mark>", text, flags=re.I)
    return mark_safe(text)


def with_snippets(rows, query):
    """One page of `rows` (NewsItem.objects.listing()), each given its `snippet`
    (safe HTML: escaped text, matches in <mark>), in one query for the page
    (ts_headline is costly, so it runs on the shown rows only)."""
    rows = list(rows)
    if connection.vendor == "postgresql" and rows:
        search_query = SearchQuery(query, search_type="websearch", config=CONFIG)
        text = Concat(
            "summary", Value(" "), StripTags(Coalesce("body", Value(""))), output_field=TextField()
        )
        headline = SearchHeadline(
            text,
            search_query,
            config=CONFIG,
            start_sel=START,
            stop_sel=STOP,
            min_words=15,
            max_words=35,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        headlines = (
            NewsItem.objects.filter(pk__in=[row.pk for row in rows])
            .annotate(snippet=headline)
            .values_list("pk", "snippet")
        )
        snippets = {pk: highlighted(snippet) for pk, snippet in headlines}
    else:
        snippets = {row.pk: _marked_summary(row.summary, query) for row in rows}
    for row in rows:
        row.snippet = snippets[row.pk]
    return rows
