"""A Redis cache that fails open.

The cache only ever holds copies (pages, fragments, the cookie policy), so
when Redis is stopped, frozen or full a request should go on without it: each
read is a miss, each write is dropped, and the error is logged. After an error
the backend leaves Redis alone for settings.CACHE_RETRY_AFTER_SECONDS, so a
frozen Redis costs one request a socket timeout, not every request.

Only the public methods of Django's cache API are wrapped. incr() is left as
it is: a counter (a rate limit) cannot silently fail open, so its callers
decide what an unavailable Redis means.
"""

import functools
import logging
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_open(fallback):
    """Wrap a cache method: `fallback(*args, **kwargs)` is its answer without Redis."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self.unavailable_until:
                return fallback(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                self.unavailable_until = time.monotonic() + settings.CACHE_RETRY_AFTER_SECONDS
                logger.warning("Cache unavailable, carrying on without it: %s", error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorator


def _constant(value):
    return lambda *args, **kwargs: value


def _default_argument(key, default=None, version=None):
    return default


class FailOpenRedisCache(RedisCache):
    unavailable_until = 0.0

    get = _fail_open(_default_argument)(RedisCache.get)
    get_many = _fail_open(_constant({}))(RedisCache.get_many)
    has_key = _fail_open(_constant(False))(RedisCache.has_key)
    add = _fail_open(_constant(False))(RedisCache.add)
    set = _fail_open(_constant(None))(RedisCache.set)
    set_many = _fail_open(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    touch = _fail_open(_constant(False))(RedisCache.touch)
    delete = _fail_open(_constant(False))(RedisCache.delete)
    delete_many = _fail_open(_constant(None))(RedisCache.delete_many)
    clear = _fail_open(_constant(False))(RedisCache.clear)
