"""The benchmark's settings with every cache off: no page cache, no fragment
cache, no cached cookie policy (the "every cache off" row)."""

from bench.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
PAGE_CACHE_TIMEOUT = 0
