"""Public pages: the same bytes for every anonymous visitor, cacheable anywhere.

@public_page marks a view whose page is public. For anonymous visitors it

* sends `Cache-Control: public` with a short `max-age` for browsers and an
  `s-maxage` for shared caches (Varnish, a CDN) that never outlasts the moment
  public pages next change by themselves (settings.PUBLIC_PAGE_CHANGE_TIMERS:
  a scheduled item going live, say), plus `stale-while-revalidate` and
  `stale-if-error`. Django's ConditionalGetMiddleware adds the ETag and
  answers 304s;
* keeps the page in the application's own cache (settings.PAGE_CACHE_TIMEOUT;
  0 turns it off), for deployments without a shared cache in front. The key is
  the path plus only the query parameters the page uses, so made-up query
  strings (`?utm_source=…`) cannot multiply entries.

Requests with a session (staff) are served fresh and marked private.

Cached pages belong to a content generation, which ends when content changes
(invalidate(), which also purges the shared caches) or when the next timer
fires. The cache fails open (common.cache_backends): without Redis pages
render from the database.
"""

import functools
import hashlib
import logging
import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

GENERATION_KEY = "page-cache:generation"
STORED_HEADERS = ("Content-Type", "Content-Language", "Link", "X-Robots-Tag")


def _seconds_until_content_changes():
    """Seconds until a timer changes public pages, or None when none is due
    within settings.PUBLIC_PAGE_SHARED_MAX_AGE."""
    timers = (import_string(path)() for path in settings.PUBLIC_PAGE_CHANGE_TIMERS)
    seconds = [value for value in timers if value is not None]
    soonest = min(seconds, default=None)
    return None if soonest is None or soonest >= settings.PUBLIC_PAGE_SHARED_MAX_AGE else soonest


def generation():
    """The current content generation: {"id": …, "changes_at": epoch seconds or None}."""
    current = cache.get(GENERATION_KEY)
    if current is None:
        seconds = _seconds_until_content_changes()
        changes_at = None if seconds is None else time.time() + seconds
        current = {"id": uuid.uuid4().hex[:12], "changes_at": changes_at}
        timeout = settings.PUBLIC_PAGE_SHARED_MAX_AGE if seconds is None else max(1, seconds)
        cache.add(GENERATION_KEY, current, timeout=timeout)
    return current


def seconds_fresh(current):
    """How long a page of generation `current` may be kept from now."""
    if current["changes_at"] is None:
        return settings.PUBLIC_PAGE_SHARED_MAX_AGE
    return max(0, round(current["changes_at"] - time.time()))


def invalidate():
    """Content shown on public pages changed: once the transaction commits, end
    the generation of cached pages and purge the shared caches in front."""

    def content_changed():
        cache.delete(GENERATION_KEY)
        if settings.FRONTEND_CACHE_URLS:
            from .tasks import purge_frontend_caches

            purge_frontend_caches.delay()

    # robust: a broker or cache that is down must never fail the save.
    transaction.on_commit(content_changed, robust=True)


def cache_key_path(request, query_params):
    """The path and the page's own query parameters, sorted: the cache key."""
    pairs = sorted(
        (name, value)
        for name in query_params
        for value in request.GET.getlist(name)
        if value and not (name == "page" and value == "1")
    )
    return request.path + ("?" + urlencode(pairs) if pairs else "")


def _lookup(key):
    """The current generation and the page stored under `key` if it belongs to
    it, in one round trip to the cache. One entry per address: a new
    generation's page replaces the old one."""
    found = cache.get_many([GENERATION_KEY, key])
    current = found.get(GENERATION_KEY) or generation()
    entry = found.get(key)
    if entry is not None and entry[0] == current["id"]:
        return current, entry[1:]
    return current, None


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


def public_page(view=None, *, query_params=("page",), store=True):
    """Serve `view` as a public page; `query_params` are the parameters it reads,
    `store=False` keeps it out of the application's cache (search: any query)."""
    if view is None:
        return functools.partial(public_page, query_params=query_params, store=store)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ("Cookie",))
            return response

        stored = store and settings.PAGE_CACHE_TIMEOUT > 0
        if stored:
            path = cache_key_path(request, query_params).encode()
            key = "page-cache:" + hashlib.md5(path, usedforsecurity=False).hexdigest()
            current, entry = _lookup(key)
            if entry is not None:
                content, headers = entry
                response = HttpResponse(content, headers=headers)
                add_public_headers(response, seconds_fresh(current))
                response["X-Page-Cache"] = "hit"
                return response
        else:
            current = generation()
        request.content_generation = current

        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if "Cache-Control" in response:  # a view that decided for itself (previews)
            return response
        add_public_headers(response, seconds_fresh(current))
        if stored and response.status_code == 200 and not response.streaming:
            headers = {name: response[name] for name in STORED_HEADERS if name in response}
            seconds = min(settings.PAGE_CACHE_TIMEOUT, seconds_fresh(current))
            if seconds > 0:
                cache.set(key, (current["id"], response.content, headers), timeout=seconds)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
