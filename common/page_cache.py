"""Public pages: the same bytes for every anonymous visitor, cacheable anywhere,
purged by the content they show.

@public_page marks a view whose page is public. For anonymous visitors it

* sends `Cache-Control: public` with a short `max-age` for browsers and an
  `s-maxage` for shared caches (Varnish, a CDN), plus `stale-while-revalidate`
  and `stale-if-error`. Django's ConditionalGetMiddleware adds the ETag and
  answers 304s;
* says which content the page shows in the `Surrogate-Key` response header
  (SURROGATE_KEY_HEADER): space-separated keys such as `news-item-42
  news-year-2020 maintenance-banner`. Varnish indexes pages by them (xkey) and
  a save purges exactly the pages carrying its keys;
* keeps the page in the application's own cache (settings.PAGE_CACHE_TIMEOUT;
  0 turns it off), for deployments without a shared cache in front, under the
  path plus only the query parameters the page reads, so that made-up query
  strings (`?utm_source=…`) cannot multiply entries.

Requests with a session (staff) are served fresh and marked private.

Keys. The decorator gives a view's fixed keys (`public_page(keys=[...])`), the
view adds what it found (`add_keys(request, ...)`), template tags add what
they put on every page (the maintenance banner, the cookie banner). Apps name
their own keys (news/surrogate_keys.py, …); common names none but
NOT_FOUND_KEY (every 404 page) and, in common.sitemaps, the sitemap's.

Purges. A model's signal calls `purge(*keys)` with the keys its save changes:
common.purges records them in the save's transaction and delivers them, once it
commits, to this cache (the purge log below) and then to every shared cache in
settings.FRONTEND_CACHE_URLS.

Timers. Content also changes by itself at known moments (a scheduled item
goes live, an item expires, a maintenance banner appears). Each function in
settings.PUBLIC_PAGE_CHANGE_TIMERS gives the changes due between two moments,
as (moment, keys). A page carrying one of those keys is kept, by shared caches
(`s-maxage`), this cache and its fragments, no later than the moment; every
other page keeps its full lifetime. So nothing has to be sent at the moment,
and a site without workers shows a scheduled item on time.

This cache costs one round trip per lookup (`get_many`): the page, the purge
log and the timers. The purge log records, for each key purged within a
page's lifetime, the sequence number of its purge; a stored page (or fragment,
`content_version`) is good while none of its keys was purged after it was
made. The cache fails open (common.cache_backends): without Redis pages
render from the database.
"""

import datetime
import functools
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

SURROGATE_KEY_HEADER = "Surrogate-Key"
NOT_FOUND_KEY = "not-found"
PURGE_LOG_KEY = "page-cache:purges"
PURGE_LOCK_KEY = "page-cache:purges:lock"
TIMERS_KEY = "page-cache:timers"
STORED_HEADERS = ("Content-Type", "Content-Language", "Link", "X-Robots-Tag")


class PurgeNotApplied(Exception):
    """This cache could not record a purge (Redis down, full or busy): it is
    delivered again later (common.purges)."""


# --- what a page shows ----------------------------------------------------------------


def add_keys(request, *keys):
    """Declare that the page answering `request` shows the content of `keys`."""
    page_keys(request).update(key for key in keys if key)


def page_keys(request):
    """The keys declared so far for the page answering `request` (a set)."""
    keys = getattr(request, "surrogate_keys", None)
    if keys is None:
        keys = request.surrogate_keys = set()
    return keys


def label(response, keys):
    if keys:
        response[SURROGATE_KEY_HEADER] = " ".join(sorted(keys))


# --- what changed -----------------------------------------------------------------------


def purge(*keys):
    """The content of `keys` changed: drop every cached page that shows it,
    here and in every shared cache, once the current transaction commits.
    The purge is recorded in the transaction, so it is never lost."""
    from . import purges

    purges.record({key for key in keys if key})


def _lifetime():
    """The longest any copy of a page is kept: entries, fragments, shared caches."""
    return max(settings.PAGE_CACHE_TIMEOUT, settings.PUBLIC_PAGE_SHARED_MAX_AGE)


def _new_log():
    return {"id": uuid.uuid4().hex[:12], "seq": 0, "keys": {}}


def apply_purge(keys):
    """Record in the purge log that `keys` changed now: stored pages and
    fragments showing them are no longer served. Raises PurgeNotApplied when
    the cache cannot take it (the caller delivers it again later)."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + 2
    # Writers take turns (add is atomic), so that no purge overwrites another.
    unheld = 0  # refused although nobody holds it, in a row: the cache is not answering
    while not cache.add(PURGE_LOCK_KEY, token, timeout=10):
        unheld = unheld + 1 if cache.get(PURGE_LOCK_KEY) is None else 0
        if unheld == 3 or time.monotonic() > deadline:
            raise PurgeNotApplied("the page cache is unavailable or busy")
        time.sleep(0.01 if unheld else 0.02)
    try:
        log = cache.get(PURGE_LOG_KEY)
        if log is None:
            # Without its log no stored page is trusted: a new log ends them all.
            log = _new_log()
        else:
            now = timezone.now().timestamp()
            log["seq"] += 1
            log["keys"] = {k: v for k, v in log["keys"].items() if v[1] > now - _lifetime() - 60}
            log["keys"].update({key: (log["seq"], now) for key in keys})
        cache.set(PURGE_LOG_KEY, log, timeout=None)
        written = cache.get(PURGE_LOG_KEY)  # the cache fails open: check the write
        if not written or (written["id"], written["seq"]) != (log["id"], log["seq"]):
            raise PurgeNotApplied("the page cache did not keep the purge")
    finally:
        if cache.get(PURGE_LOCK_KEY) == token:
            cache.delete(PURGE_LOCK_KEY)


# --- timers -----------------------------------------------------------------------------


def scheduled_changes(start, end):
    """[(epoch seconds, frozenset of keys)] of the changes the timers of
    settings.PUBLIC_PAGE_CHANGE_TIMERS have due in (start, end]."""
    changes = []
    for path in settings.PUBLIC_PAGE_CHANGE_TIMERS:
        for moment, keys in import_string(path)(start, end):
            changes.append((moment.timestamp(), frozenset(keys)))
    return sorted(changes, key=lambda change: change[0])


@dataclass
class CacheState:
    """The purge log and the coming timer changes, as read for one request."""

    log: dict
    changes: list

    def is_current(self, entry):
        """Whether a stored (log id, seq, keys, …) entry shows no purged content."""
        log_id, seq, keys = entry[:3]
        purged = self.log["keys"]
        return log_id == self.log["id"] and all(
            purged.get(key, (0,))[0] <= seq for key in keys
        )

    def version(self, keys):
        """Changes whenever one of `keys` is purged: for fragment cache keys."""
        purged = self.log["keys"]
        return f"{self.log['id']}.{max((purged.get(k, (0,))[0] for k in keys), default=0)}"

    def seconds_fresh(self, keys):
        """How long a page showing `keys` may be kept from now: until a timer
        changes one of them, and at most settings.PUBLIC_PAGE_SHARED_MAX_AGE."""
        now = timezone.now().timestamp()
        fresh = settings.PUBLIC_PAGE_SHARED_MAX_AGE
        for moment, changed in self.changes:
            if moment > now and not changed.isdisjoint(keys):
                fresh = min(fresh, moment - now)
                break  # sorted: the first one that touches the page is the soonest
        return max(0, int(fresh))


def _load_state(page_key=None):
    """(CacheState, the stored page or None) in one round trip to the cache."""
    wanted = [PURGE_LOG_KEY, TIMERS_KEY] + ([page_key] if page_key else [])
    found = cache.get_many(wanted)
    log = found.get(PURGE_LOG_KEY)
    if log is None:
        log = _new_log()
        cache.add(PURGE_LOG_KEY, log, timeout=None)  # another process's may win: harmless
    timers = found.get(TIMERS_KEY)
    if timers is None or timers["log"] != (log["id"], log["seq"]):
        # Computed again after every purge (a save may have scheduled something).
        # Kept for one lifetime, it covers every change a page made meanwhile can
        # live to see.
        lifetime = _lifetime()
        now = timezone.now()
        changes = scheduled_changes(now, now + datetime.timedelta(seconds=2 * lifetime))
        timers = {"log": (log["id"], log["seq"]), "changes": changes}
        cache.set(TIMERS_KEY, timers, timeout=lifetime)
    return CacheState(log, timers["changes"]), found.get(page_key) if page_key else None


def state(request):
    """The cache state of this request, read once."""
    current = getattr(request, "page_cache_state", None)
    if current is None:
        current, _ = _load_state()
        request.page_cache_state = current
    return current


def fragment_version(request):
    """For `{% cache %}` in public templates: changes when the page's content is purged."""
    return state(request).version(page_keys(request))


def fragment_seconds(request):
    """For `{% cache %}` in public templates: how long a fragment of this page may be kept."""
    return state(request).seconds_fresh(page_keys(request))


# --- serving ----------------------------------------------------------------------------


def cache_key_path(request, query_params):
    """The path and the page's own query parameters, sorted: the cache key."""
    pairs = sorted(
        (name, value)
        for name in query_params
        for value in request.GET.getlist(name)
        if value and not (name == "page" and value == "1")
    )
    return request.path + ("?" + urlencode(pairs) if pairs else "")


def add_public_headers(response, shared):
    patch_cache_control(
        response,
        public=True,
        max_age=min(settings.PUBLIC_PAGE_BROWSER_MAX_AGE, shared),
        s_maxage=shared,
        stale_while_revalidate=settings.PUBLIC_PAGE_STALE_WHILE_REVALIDATE,
        stale_if_error=settings.PUBLIC_PAGE_STALE_IF_ERROR,
    )


def has_session(request):
    """Whether the request may be staff's: only then is it worth reading the
    session (reading it makes a response vary on cookies)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _anonymous(request):
    return request.method in ("GET", "HEAD") and not has_session(request)


def public_page(view=None, *, query_params=(), store=True, keys=()):
    """Serve `view` as a public page. `query_params`: the parameters it reads
    (the shared cache's rules are generated from them, common.varnish_rules);
    `store=False` keeps it out of the application's cache (search: any query
    is a page); `keys`: the content every answer of the view shows."""
    if view is None:
        return functools.partial(public_page, query_params=query_params, store=store, keys=keys)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ("Cookie",))
            return response

        add_keys(request, *keys)
        page_key = None
        if store and settings.PAGE_CACHE_TIMEOUT > 0:
            path = cache_key_path(request, query_params).encode()
            page_key = "page-cache:" + hashlib.md5(path, usedforsecurity=False).hexdigest()
        current, entry = _load_state(page_key)
        request.page_cache_state = current
        if entry is not None and current.is_current(entry):
            _, _, stored_keys, content, headers = entry
            response = HttpResponse(content, headers=headers)
            add_public_headers(response, current.seconds_fresh(stored_keys))
            label(response, stored_keys)
            response["X-Page-Cache"] = "hit"
            return response
        # Made from what the database holds after the purges read above.
        seq = current.log["seq"]

        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()  # template tags declare their keys here
        shown = page_keys(request)
        if "Cache-Control" in response:  # a view that decided for itself (previews, files)
            label(response, shown)
            return response
        fresh = current.seconds_fresh(shown)
        add_public_headers(response, fresh)
        label(response, shown)
        if page_key and response.status_code == 200 and not response.streaming:
            headers = {name: response[name] for name in STORED_HEADERS if name in response}
            seconds = min(settings.PAGE_CACHE_TIMEOUT, fresh)
            if seconds > 0:
                entry = (current.log["id"], seq, tuple(sorted(shown)), response.content, headers)
                cache.set(page_key, entry, timeout=seconds)
            response["X-Page-Cache"] = "miss"
        return response

    wrapper.public_page_query_params = tuple(query_params)
    return wrapper
