"""Django's Redis cache, with one client object per connection pool (issue 18).

`django.core.cache.backends.redis.RedisCacheClient.get_client()` builds a new `redis.Redis` around the shared pool
on every cache call; redis-py's constructor costs about 0.1 ms of CPU on this project's machines, and a page view
makes one to three cache calls. A `redis.Redis` is safe to share between threads (each command takes a connection
from the pool), so this client keeps one per pool. Everything else is Django's: the pools, the servers, the
serializer, and every cache method.
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
