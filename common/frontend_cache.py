"""Purging the shared HTTP caches in front of the site (Varnish, settings.FRONTEND_CACHE_URLS).

One request per cache and batch of keys, which the VCL (varnish/default.vcl)
accepts from its `purgers` ACL only:

    PURGE / HTTP/1.1
    Surrogate-Key: news-item-42 news-year-2020

It soft-purges (xkey.softpurge) every page whose Surrogate-Key header names one
of the keys: the next visitor gets the stale page while one request fetches
the new one. The answer is 200 with `X-Purged: <pages purged>`.
"""

import http.client
import urllib.parse

from django.conf import settings

from .page_cache import SURROGATE_KEY_HEADER

# Varnish refuses request header lines over 8 KB (http_req_hdr_len).
MAX_KEYS_LENGTH = 4000


def _batches(keys):
    batch = []
    for key in sorted(keys):
        if batch and len(" ".join([*batch, key])) > MAX_KEYS_LENGTH:
            yield " ".join(batch)
            batch = []
        batch.append(key)
    if batch:
        yield " ".join(batch)


def purge_keys(base_url, keys):
    """Soft-purge the pages showing any of `keys` from the cache at `base_url`.
    Returns how many pages it purged; raises OSError when it cannot."""
    parts = urllib.parse.urlsplit(base_url)
    purged = 0
    for batch in _batches(keys):
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(
            parts.hostname, parts.port, timeout=settings.FRONTEND_CACHE_TIMEOUT
        )
        try:
            connection.request("PURGE", "/", headers={SURROGATE_KEY_HEADER: batch})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise OSError(f"{base_url} answered {response.status} {response.reason} to PURGE")
        purged += int(response.getheader("X-Purged") or 0)
    return purged
