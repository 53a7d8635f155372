"""One sending rate for all workers together: NEWSLETTER_MAX_PER_SECOND and
NEWSLETTER_MAX_PER_DAY, counted in Redis.

The per-second limit is a token bucket (up to one second's worth of tokens,
refilled continuously); the per-day limit counts the messages of each UK
calendar day. Both are taken in one Lua script, so workers never race each
other. A worker asks for the next batch's worth and gets what is free now
(at least one, or the time to wait).

Sending fails closed: when Redis cannot answer, take() raises Unavailable and
the worker waits rather than send unmetered (newsletter.sending). Sign-ups
never use this module."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

SCRIPT = """
local rate = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local day_limit = tonumber(ARGV[3])
local granted = wanted
local wait = 0
local tokens = 0
local now = 0
if rate > 0 then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
  local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  tokens = tonumber(stored[1]) or rate
  local at = tonumber(stored[2]) or now
  tokens = math.min(rate, tokens + math.max(0, now - at) * rate)
  granted = math.min(granted, math.floor(tokens))
  if granted < 1 then
    return {0, tostring((1 - tokens) / rate), 0}
  end
end
if day_limit > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  granted = math.min(granted, day_limit - used)
  if granted < 1 then
    return {0, '0', 1}
  end
  redis.call('INCRBY', KEYS[2], granted)
  redis.call('EXPIRE', KEYS[2], 2 * 86400)
end
if rate > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - granted), 'at', tostring(now))
  redis.call('EXPIRE', KEYS[1], 60)
end
return {granted, '0', 0}
"""


# Seconds a worker waits for Redis's answer before treating it as unavailable.
TIMEOUT = 2.0


class Unavailable(Exception):
    """Redis did not answer: the caller must wait, not send."""


@dataclass(frozen=True)
class Grant:
    count: int  # messages that may go now
    wait: float  # seconds until the next may go, when count is 0
    renews_at: datetime.datetime | None = None  # the day's quota is spent until then


def active():
    return bool(settings.NEWSLETTER_MAX_PER_SECOND or settings.NEWSLETTER_MAX_PER_DAY)


def tomorrow():
    """The next midnight, UK time, when the day's quota renews."""
    today = timezone.localdate()
    return timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time())
    )


class SendingLimit:
    """The shared limit, through a Redis client of its own (short timeouts,
    no fail-open cache in between)."""

    _client = None

    def __init__(self):
        self.per_second = settings.NEWSLETTER_MAX_PER_SECOND
        self.per_day = settings.NEWSLETTER_MAX_PER_DAY
        prefix = settings.CACHES["default"].get("KEY_PREFIX") or "portal"
        self.bucket_key = f"{prefix}:newsletter:rate"
        self.day_prefix = f"{prefix}:newsletter:day:"

    @classmethod
    def client(cls):
        if cls._client is None:
            import redis

            cls._client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
            )
        return cls._client

    def take(self, wanted):
        """A Grant of up to `wanted` messages; Unavailable without Redis."""
        import redis

        day_key = self.day_prefix + timezone.localdate().isoformat()
        try:
            count, wait, day_spent = self.client().eval(
                SCRIPT,
                2,
                self.bucket_key,
                day_key,
                self.per_second,
                wanted,
                self.per_day,
            )
        except redis.RedisError as error:
            raise Unavailable(str(error)) from error
        if day_spent:
            renews_at = tomorrow()
            return Grant(0, (renews_at - timezone.now()).total_seconds(), renews_at)
        return Grant(int(count), float(wait))
