"""Purging the shared HTTP caches in front of the site (Varnish, settings.FRONTEND_CACHE_URLS).

One BAN request per cache and change: the VCL (varnish/default.vcl) bans every
page it holds, except static files, which never change under one name.
"""

import urllib.request

from django.conf import settings


def purge_all(base_url):
    """Ask the cache at `base_url` to drop its pages; raises OSError when it cannot."""
    request = urllib.request.Request(base_url.rstrip("/") + "/", method="BAN")
    with urllib.request.urlopen(request, timeout=settings.FRONTEND_CACHE_TIMEOUT) as response:
        return response.status
