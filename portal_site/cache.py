"""Cache helpers: a Redis backend that reuses its clients, and local copies.

Django's RedisCacheClient builds a new redis.Redis object for every cache
call; redis-py 8's constructor registers its response callbacks each time,
which costs more than the round trip to a local Redis. A client is
thread-safe and only wraps the shared pool, so one per pool is enough.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient


def local_copy(key, fetch):
    """The value of `key` in the shared cache, read through a copy kept in this
    process for settings.LOCAL_CACHE_SECONDS.

    `fetch()` reads the shared cache (and fills it when empty). Copies save a
    round trip to Redis on every request; forget_local_copy() drops one at once
    in this process, other processes drop theirs when it expires.
    """
    seconds = settings.LOCAL_CACHE_SECONDS
    if not seconds:
        return fetch()
    value = caches["local"].get(key)
    if value is None:
        value = fetch()
        if value is not None:
            caches["local"].set(key, value, seconds)
    return value


def forget_local_copy(key):
    caches["local"].delete(key)
