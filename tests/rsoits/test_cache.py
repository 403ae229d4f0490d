import threading

from django.core.cache import caches

from rsoits.cache import RedisCache
from tests.conftest import requires_redis


@requires_redis
def test_redis_cache_shares_one_client_and_still_reads_and_writes(settings):
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    cache.set("rsoits-test:cache", {"n": 1}, 30)
    assert cache.get("rsoits-test:cache") == {"n": 1}
    assert cache.get_many(["rsoits-test:cache", "rsoits-test:absent"]) == {"rsoits-test:cache": {"n": 1}}
    cache.delete("rsoits-test:counter")
    assert cache.add("rsoits-test:counter", 1, 30)
    assert cache.incr("rsoits-test:counter") == 2
    cache.delete_many(["rsoits-test:cache", "rsoits-test:counter"])
    assert cache.get("rsoits-test:cache") is None


@requires_redis
def test_the_shared_client_serves_threads_at_once():
    cache = caches["default"]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                key = f"rsoits-test:thread:{n}:{i}"
                cache.set(key, i, 30)
                assert cache.get(key) == i
                cache.delete(key)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
