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

import collections
import contextlib
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
# Versioned: a page stored by an earlier release (another shape) is never read.
PAGE_KEY_PREFIX = "page-cache:2:"
STORED_HEADERS = ("Content-Type", "Content-Language", "Link", "X-Robots-Tag")
# Single flight: the request making a missing page holds a lock this long at
# most; meanwhile the others serve the copy it replaces (kept STALE_SECONDS
# past its freshness) or, without one, wait for the new copy this long.
RENDER_LOCK_SECONDS = 10
RENDER_WAIT_SECONDS = 2
RENDER_POLL_SECONDS = 0.02
STALE_SECONDS = 30


class PurgeNotApplied(Exception):
    """This cache could not record a purge (Redis down, full or busy): it is
    delivered again later (common.purges)."""


# --- what a page shows ----------------------------------------------------------------


def add_keys(request, *keys):
    """Declare that the page answering `request` shows the content of `keys`
    (and so does every fragment being made: common.templatetags.page_fragments)."""
    keys = {key for key in keys if key}
    page_keys(request).update(keys)
    for shown in getattr(request, "fragment_keys", ()):
        shown.update(keys)


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


def _load_state(*entries):
    """(CacheState, {key: the stored entry or None} of `entries`) in one round
    trip to the cache."""
    found = cache.get_many([PURGE_LOG_KEY, TIMERS_KEY, *entries])
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
    return CacheState(log, timers["changes"]), {key: found.get(key) for key in entries}


def state(request):
    """The cache state of this request, read once."""
    current = getattr(request, "page_cache_state", None)
    if current is None:
        current, _ = _load_state()
        request.page_cache_state = current
    return current


# --- fragments ---------------------------------------------------------------------------


def _digest(text):
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def fragment_key(request, name, shared=False):
    """The cache key of fragment `name` of this request's page: one per page
    (its path and the query parameters it reads), or one for every page
    (`shared`). None on pages that are not public (private pages, staff's,
    searches, errors): they render their fragments afresh."""
    if not hasattr(request, "page_cache_path"):
        return None  # not a public page's request: not even its shared fragments
    if shared:
        return f"page-fragment:{name}"
    path = request.page_cache_path
    return None if path is None else f"page-fragment:{name}:{_digest(path)}"


def _fetched_fragment(request, key):
    fetched = getattr(request, "page_fragments", None)
    if fetched is None:
        fetched = request.page_fragments = {}
    if key not in fetched:
        fetched[key] = cache.get(key)  # not known yet to this view: fetched alone
    return fetched[key]


def cached_fragment(request, name, shared=False):
    """The stored HTML of fragment `name` if none of the content it shows was
    purged since it was made (its keys are then declared for the page), else None."""
    key = fragment_key(request, name, shared)
    if key is None:
        return None
    learned = getattr(request, "public_page_fragments", None)
    if learned is not None:
        learned.add((name, shared))  # fetched with the page's state from now on
    entry = _fetched_fragment(request, key)
    if entry is None or not state(request).is_current(entry):
        return None
    add_keys(request, *entry[2])
    return entry[3]


@contextlib.contextmanager
def making_fragment(request, name, shared=False):
    """Record the keys declared while the fragment is made; then `store(html)`
    keeps it under them. A page's fragment shows the page's own content too
    (the keys its view declared); a shared one only what it declares itself."""
    shown = set()
    request.fragment_keys = [*getattr(request, "fragment_keys", ()), shown]
    key = fragment_key(request, name, shared)
    current = state(request) if key is not None else None
    seq = current.log["seq"] if key is not None else None  # made after the purges read

    def store(html):
        if key is None:
            return
        keys = shown if shared else shown | getattr(request, "view_keys", page_keys(request))
        seconds = current.seconds_fresh(keys)
        if seconds > 0:
            entry = (current.log["id"], seq, tuple(sorted(keys)), html)
            cache.set(key, entry, timeout=seconds)
            request.page_fragments[key] = entry

    try:
        yield store
    finally:
        request.fragment_keys = [keys for keys in request.fragment_keys if keys is not shown]


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


# The fragments each view's templates use, learned as they render
# (cached_fragment): from a process's second request for a view on, they are
# fetched with the page's cache state.
_view_fragments = collections.defaultdict(set)


def _fragments_of(request):
    match = request.resolver_match
    return _view_fragments[match.view_name] if match is not None else set()


def _stored_response(entry, current, how):
    _, _, keys, content, headers, _ = entry
    response = HttpResponse(content, headers=headers)
    # A stale copy (served while the page is made again) is kept nowhere.
    add_public_headers(response, current.seconds_fresh(keys) if how == "hit" else 0)
    label(response, keys)
    response["X-Page-Cache"] = how
    return response


def _is_fresh(entry, current):
    return entry is not None and current.is_current(entry) and time.time() < entry[5]


def _wait_for(page_key):
    """Another request is making the page: its copy once stored, or None after
    RENDER_WAIT_SECONDS (or at once when the cache is not answering)."""
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(RENDER_POLL_SECONDS)
        current, found = _load_state(page_key, _lock(page_key))
        if _is_fresh(found[page_key], current):
            return _stored_response(found[page_key], current, "hit")
        if found[_lock(page_key)] is None:
            return None  # it gave up, or the cache is not answering: make it here
    return None


def _lock(page_key):
    return page_key + ":making"


def public_page(view=None, *, query_params=(), store=True, keys=()):
    """Serve `view` as a public page. `query_params`: the parameters it reads
    (the shared cache's rules are generated from them, common.varnish_rules);
    `store=False` keeps it out of the application's cache (search: any query
    is a page); `keys`: the content every answer of the view shows."""
    if view is None:
        return functools.partial(public_page, query_params=query_params, store=store, keys=keys)

    def render(request, args, kwargs, current):
        request.page_cache_state = current
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            request.view_keys = frozenset(page_keys(request))
            response = response.render()  # template tags declare their keys here
        return response

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ("Cookie",))
            return response

        add_keys(request, *keys)
        # Without it (store=False: any query is a page) its fragments are not kept either.
        request.page_cache_path = cache_key_path(request, query_params) if store else None
        fragments = request.public_page_fragments = _fragments_of(request)
        fragment_keys = [fragment_key(request, *fragment) for fragment in list(fragments)]
        page_key = None
        if store and settings.PAGE_CACHE_TIMEOUT > 0:
            page_key = PAGE_KEY_PREFIX + _digest(request.page_cache_path)
            # The page itself first: its fragments are fetched only if it is not stored.
            current, found = _load_state(page_key)
            entry = found[page_key]
            if _is_fresh(entry, current):
                return _stored_response(entry, current, "hit")
            # Single flight: one request makes the page, others meanwhile get
            # the copy it replaces or wait for the new one.
            making = cache.add(_lock(page_key), 1, timeout=RENDER_LOCK_SECONDS)
            if not making and cache.get(_lock(page_key)) is not None:
                if entry is not None:
                    return _stored_response(entry, current, "stale")
                waited = _wait_for(page_key)
                if waited is not None:
                    return waited
            found = cache.get_many(fragment_keys) if fragment_keys else {}
            request.page_fragments = {key: found.get(key) for key in fragment_keys}
        else:
            making = False
            current, request.page_fragments = _load_state(*fragment_keys)
        # Made from what the database holds after the purges read above.
        seq = current.log["seq"]
        try:
            try:
                response = render(request, args, kwargs, current)
            except Exception:
                request.page_cache_path = None  # error pages keep no fragments of their own
                raise
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
                    entry = (current.log["id"], seq, tuple(sorted(shown)), response.content,
                             headers, time.time() + seconds)
                    # Kept a little longer than it is fresh: the stale copy
                    # served while the next one is made.
                    cache.set(page_key, entry, timeout=seconds + STALE_SECONDS)
                response["X-Page-Cache"] = "miss"
            return response
        finally:
            if making:
                cache.delete(_lock(page_key))

    wrapper.public_page_query_params = tuple(query_params)
    return wrapper
