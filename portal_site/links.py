"""Addresses without arguments (the header's, the footer's, the cookie banner's),
reversed once per process: every page carries a dozen of them, and reverse()
costs tens of microseconds each time."""

import functools

from django.urls import get_script_prefix, reverse


@functools.cache
def _reverse(name, script_prefix):
    return reverse(name)


def fixed_url(name):
    """reverse(name), remembered for this process and script prefix."""
    return _reverse(name, get_script_prefix())
