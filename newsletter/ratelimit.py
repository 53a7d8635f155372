"""Sign-up limits kept in the cache (Redis in production): per address and per
client. Keys hold hashes, never the address or IP address themselves.

When the cache cannot be reached the limits fail open: the sign-up goes ahead
(logged). A sign-up only ever leads to one confirmation email, which the
address's owner must act on, so a few minutes without limits cost little,
whereas refusing every sign-up during an outage would lose real ones."""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

from portal_site.client_address import client_address

log = logging.getLogger(__name__)

DAY = 24 * 60 * 60
HOUR = 60 * 60


def _key(kind, value):
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"newsletter:rl:{kind}:{digest}"


def _hit(key, limit, timeout):
    """Count one attempt; False if it goes over the limit."""
    cache.add(key, 0, timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout)
        count = 1
    return count <= limit


def _fail_open(check):
    try:
        return check()
    except Exception as error:  # the cache backend's own errors (redis.ConnectionError…)
        log.warning("Sign-up limits unavailable, allowing the sign-up: %s", error)
        return True


def allow_ip(request):
    key = _key("ip", client_address(request))
    return _fail_open(lambda: _hit(key, settings.NEWSLETTER_IP_PER_HOUR, HOUR))


def allow_email(email):
    """At most one email per address per interval and a few a day; `email` is
    in canonical form (newsletter.addresses.canonical)."""

    def check():
        if not cache.add(_key("recent", email), 1, settings.NEWSLETTER_EMAIL_INTERVAL):
            return False
        return _hit(_key("day", email), settings.NEWSLETTER_EMAIL_PER_DAY, DAY)

    return _fail_open(check)
