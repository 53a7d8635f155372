"""Sign-up limits kept in the cache (Redis in production): per address and per
client. Keys hold hashes, never the address or IP address themselves."""

import hashlib

from django.conf import settings
from django.core.cache import cache

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


def client_ip(request):
    return request.META.get("REMOTE_ADDR", "")


def allow_ip(request):
    return _hit(_key("ip", client_ip(request)), settings.NEWSLETTER_IP_PER_HOUR, HOUR)


def allow_email(email):
    """At most one email per address per interval and a few a day."""
    if not cache.add(_key("recent", email), 1, settings.NEWSLETTER_EMAIL_INTERVAL):
        return False
    return _hit(_key("day", email), settings.NEWSLETTER_EMAIL_PER_DAY, DAY)
