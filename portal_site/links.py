"""Addresses without arguments (the header's, the footer's, the cookie banner's),
reversed once per process: every page carries a dozen of them, and reverse()
costs tens of microseconds each time."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@functools.cache
def _reverse(name, script_prefix, urlconf):
    return reverse(name, urlconf=urlconf)


def fixed_url(name):
    """reverse(name), remembered for this process, script prefix and URLconf
    (tests and request.urlconf may swap the URLconf)."""
    return _reverse(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
