"""A whole-page cache for public pages, shared by anonymous visitors.

Unlike Django's per-site cache it is safe for pages that carry a CSRF form
(the cookie banner) and pages that differ by a visitor's choices:

* the CSRF token is stored as a placeholder and each visitor gets their own
  token on the way out;
* the key includes the "variants" named in settings.PAGE_CACHE_VARIANTS
  (functions of the request returning a short string, such as the visitor's
  cookie consent), so one visitor's state never reaches another;
* every entry belongs to a generation that ends when content changes
  (invalidate()) or when the next scheduled item goes live
  (settings.PUBLIC_PAGE_CHANGE_TIMERS name functions returning seconds until then);
* with Redis, each process also keeps copies of the pages it served and of
  the generation for settings.LOCAL_CACHE_SECONDS, so most hits never leave
  the process; other processes notice a new generation within that time.

PAGE_CACHE_TIMEOUT = 0 turns the cache off. Pages are cached only for requests
without a session or messages cookie: staff, previews and flash messages are
never cached.
"""

import functools
import hashlib
import re
import uuid

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

from .cache import forget_local_copy, local_copy
from .csrf import get_token

GENERATION_KEY = "page-cache:generation"
# Part of every entry's key: a release that changes the entries' shape must not
# read the previous release's entries.
ENTRY_FORMAT = 2
CSRF_PLACEHOLDER = "__page_cache_csrf_token__"
CSRF_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
STORED_HEADERS = ("Content-Type", "Content-Language", "Link", "Cache-Control", "Vary")


def _seconds_until_content_changes():
    default = settings.PAGE_CACHE_TIMEOUT
    timers = (import_string(path)() for path in settings.PUBLIC_PAGE_CHANGE_TIMERS)
    return max(1, min([int(seconds) for seconds in timers if seconds is not None] + [default]))


def generation():
    """The current generation of cached pages, started afresh when it ends."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = uuid.uuid4().hex[:12]
        cache.set(GENERATION_KEY, value, timeout=_seconds_until_content_changes())
    return value


def invalidate():
    """Forget every cached page once the current transaction commits: at once
    in this process, within settings.LOCAL_CACHE_SECONDS in the others."""

    def end_generation():
        cache.delete(GENERATION_KEY)
        forget_local_copy(GENERATION_KEY)

    transaction.on_commit(end_generation)


def _variant(request):
    parts = [import_string(path)(request) for path in settings.PAGE_CACHE_VARIANTS]
    return ":".join(parts)


def _cacheable_request(request):
    return (
        settings.PAGE_CACHE_TIMEOUT > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _key(request):
    path = hashlib.md5(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    return f"page-cache:{ENTRY_FORMAT}:{_variant(request)}:{path}"


def _lookup(key):
    """The current generation and the entry stored under `key`, if it is of
    that generation (an entry from an ended generation counts as missing).

    Both come from this process's local copies when it has fresh ones, so a
    hit usually costs no round trip to the shared cache.
    """
    current = local_copy(GENERATION_KEY, generation)
    entry = caches["local"].get(key) if settings.LOCAL_CACHE_SECONDS else None
    if entry is None or entry[0] != current:
        entry = cache.get(key)
        if entry is not None and settings.LOCAL_CACHE_SECONDS:
            caches["local"].set(key, entry, settings.PAGE_CACHE_TIMEOUT)
    if entry is not None and entry[0] == current:
        return current, entry[1:]
    return current, None


def _response_from(entry, request):
    # The content was stored cut where CSRF tokens go (usually nowhere or once).
    pieces, headers, etag = entry
    content = get_token(request).encode().join(pieces) if len(pieces) > 1 else pieces[0]
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    response["ETag"] = etag
    return response


def _store(key, response, current):
    content = CSRF_FIELD.sub(rb"\1" + CSRF_PLACEHOLDER.encode() + rb"\2", response.content)
    pieces = tuple(content.split(CSRF_PLACEHOLDER.encode()))
    headers = {name: response[name] for name in STORED_HEADERS if name in response}
    etag = f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"'
    entry = (current, pieces, headers, etag)
    cache.set(key, entry, timeout=settings.PAGE_CACHE_TIMEOUT)
    if settings.LOCAL_CACHE_SECONDS:
        caches["local"].set(key, entry, timeout=settings.PAGE_CACHE_TIMEOUT)
    response["ETag"] = etag


def public_page(view):
    """Serve `view` from the page cache to anonymous visitors."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        current, entry = _lookup(key)
        if entry is not None:
            # With the headers the page was stored with, Cache-Control and Vary included.
            response = _response_from(entry, request)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        # Browsers revalidate with the ETag; shared caches must not store
        # pages that carry a visitor's CSRF token or choices.
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Cookie",))
        cacheable = (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not getattr(response, "_page_cache_skip", False)
        )
        if cacheable:
            _store(key, response, current)
        response["X-Page-Cache"] = "miss" if cacheable else "skip"
        return response

    return wrapper
