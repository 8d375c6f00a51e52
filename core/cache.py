"""Django's Redis cache, with one client object per connection pool.

Django's client builds a new `redis.Redis` around its shared pool on every cache call, and every request makes
several (sessions aside: login limits, throttles, the page cache). A `redis.Redis` is safe to share between threads
(each command takes a connection from the pool), so this client keeps one per pool. Everything else is Django's:
the pools, the servers, the serializer, and every cache method. It overrides `get_client`, the one method Django's
client routes every call through; tests/core/test_cache.py checks it on each Django upgrade.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # the pools live as long as this object: ids are not reused
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
