"""core/cache.py: Django's Redis cache with one client per pool; every cache method works as Django's."""

import os
import threading

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from core.cache import RedisCache

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs the Redis of the PostgreSQL run"
)


@pytest.fixture
def redis_cache():
    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"core-cache-test-{os.getpid()}"})
    yield cache
    cache.delete_many(["a", "b", "c"] + [f"k{n}:{i}" for n in range(8) for i in range(50)])  # no FLUSHDB


def test_it_is_djangos_cache_with_one_client(redis_cache):
    assert isinstance(redis_cache, DjangoRedisCache)  # accounts/lockout.py recognises it
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)
    redis_cache.set("a", {"x": 1}, 30)
    assert redis_cache.add("b", 2, 30) and not redis_cache.add("b", 3, 30)
    assert redis_cache.get_many(["a", "b", "c"]) == {"a": {"x": 1}, "b": 2}
    assert redis_cache.incr("b") == 3
    redis_cache.delete("a")
    assert redis_cache.get("a") is None


def test_threads_share_the_client_safely(redis_cache):
    errors = []

    def work(n):
        try:
            for i in range(50):
                redis_cache.set(f"k{n}:{i}", i, 30)
                assert redis_cache.get(f"k{n}:{i}") == i
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
