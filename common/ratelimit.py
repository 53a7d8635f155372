"""Counting attempts per client or per address in the cache (Redis in production).

Keys hold keyed hashes, never the address or IP address itself. When the cache
cannot be reached the limit is not applied (logged): the limits guard against
floods, and refusing everyone during an outage would lose real visitors' work.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

HOUR = 60 * 60
DAY = 24 * HOUR


def key(scope, value):
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def within_limit(scope, value, limit, seconds):
    """Count one attempt of `value` in `scope`; False once more than `limit`
    attempts fall within `seconds`."""
    counter = key(scope, value)
    try:
        cache.add(counter, 0, seconds)
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between add() and incr()
            cache.set(counter, 1, seconds)
            count = 1
    except Exception as error:  # the cache backend's own errors (redis.ConnectionError…)
        log.warning("Rate limit %s unavailable, not applied: %s", scope, error)
        return True
    return count <= limit
