"""Password guessing limits, shared by every worker and server through the cache (Redis in production).

Per account: after 5 failed logins the account waits before the next try, 30 s and doubling up to 15 minutes;
after a 15-minute wait the count starts again. Per client address: at most 30 failed logins a minute. An unknown
email is counted and limited exactly like a known one, so the answer never tells whether an account exists.
If the cache is down the limits fail open (login keeps working; argon2 and the second factor still stand) and an
error is logged: locking every employee out because Redis restarted would be worse.

Cost (issue 18): with Redis a login pays two round trips for all of this, one script that checks and counts the
attempt (`attempt`, or `PendingAttempt`: sent, and read after the account's row) and one that clears the count
after a good login (`record_success`, after the response); the rules are written once more below as those scripts.
Without Redis (make run: one process) the same rules run on Django's cache API.
"""

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.crypto import salted_hmac
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from core import throttling

logger = logging.getLogger(__name__)

FREE_FAILURES = 5
FIRST_WAIT = 30
MAX_WAIT = 15 * 60
IP_LIMIT, IP_PERIOD = 30, 60
_TTL = 24 * 3600
_IP_SCOPE = "login-ip"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_at: float | None = None  # epoch seconds


def _keys(email: str) -> tuple[str, str, str]:
    digest = salted_hmac("accounts.lockout", (email or "").strip().lower()).hexdigest()[:32]
    count = f"accounts.lockout:{digest}:count"
    return count, f"accounts.lockout:{digest}:last", f"{count}:told"


def wait_after(failures: int) -> int:
    """Seconds to wait after this many consecutive failures (0 while under the free failures)."""
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_WAIT, FIRST_WAIT * 2 ** (failures - FREE_FAILURES))


def attempt(*, email: str, ip: str) -> Verdict:
    """May this login attempt go ahead? Asked before the password is checked (a limited try costs no hashing).

    An allowed attempt is counted at once, so parallel guesses cannot slip past the limit while the hasher runs;
    a good login takes it back (record_success)."""
    try:
        client = _redis()
        if client is not None:
            return _attempt_redis(client, email=email, ip=ip, now=int(time.time()))
        return _attempt_cache(email=email, ip=ip, now=int(time.time()))
    except Exception:  # noqa: BLE001 - fail open, loudly
        logger.exception("Login limits unavailable (cache down); allowing the attempt")
        return Verdict(True)


def record_failure(*, email: str) -> bool:
    """The attempt failed; True once per slow-down, when the owner should be told."""
    try:
        count_key, _, told_key = _keys(email)
        if cache.get(count_key, 0) < FREE_FAILURES:
            return False
        return cache.add(told_key, 1, timeout=MAX_WAIT)
    except Exception:  # noqa: BLE001
        logger.exception("Login limits unavailable (cache down)")
        return False


def record_success(*, email: str, ip: str) -> None:
    try:
        client = _redis()
        ip_key = throttling.window_key(_IP_SCOPE, ip, period=IP_PERIOD, now=time.time())
        if client is not None:
            _script(client, _SUCCESS)(keys=[cache.make_key(k) for k in (*_keys(email), ip_key)], client=client)
            return
        cache.delete_many(list(_keys(email)))
        throttling.undo(_IP_SCOPE, ip, period=IP_PERIOD)  # only failed logins count against an address
    except Exception:  # noqa: BLE001
        logger.exception("Login limits unavailable (cache down)")


# ------------------------------------------------------------------------------ Django's cache API (no Redis)
def _attempt_cache(*, email: str, ip: str, now: int) -> Verdict:
    count_key, last_key, told_key = _keys(email)
    values = cache.get_many([count_key, last_key])
    failures, last = values.get(count_key, 0), values.get(last_key, 0)
    wait = wait_after(failures)
    if wait and now < last + wait:
        return Verdict(False, last + wait)
    if wait >= MAX_WAIT:  # the longest wait is over: start counting again
        cache.delete_many([count_key, last_key, told_key])
    ip_verdict = throttling.peek(_IP_SCOPE, ip, limit=IP_LIMIT, period=IP_PERIOD, now=now)
    if not ip_verdict.allowed:
        return Verdict(False, now + ip_verdict.retry_after)
    cache.add(count_key, 0, timeout=_TTL)
    cache.incr(count_key)
    cache.set(last_key, now, timeout=_TTL)
    throttling.hit(_IP_SCOPE, ip, limit=IP_LIMIT, period=IP_PERIOD, fail_open=True)
    return Verdict(True)


# ------------------------------------------------------------------------------ Redis: one script per step
# The same rules as _attempt_cache, in one round trip. Django's Redis cache stores integers as plain numbers, so
# the script and the cache API read each other's counters (record_failure reads the count with cache.get).
_ATTEMPT = """
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local now, free, first = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local longest, ttl = tonumber(ARGV[4]), ARGV[5]
local wait = 0
if failures >= free then wait = math.min(longest, first * 2 ^ (failures - free)) end
if wait > 0 and now < last + wait then return {0, last + wait} end
if wait >= longest then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
local estimate = tonumber(redis.call('GET', KEYS[4]) or '0')
estimate = estimate + tonumber(redis.call('GET', KEYS[5]) or '0') * tonumber(ARGV[7])
if estimate + 1 > tonumber(ARGV[6]) then return {0, now + tonumber(ARGV[9])} end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], now, 'EX', ttl)
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ARGV[8])
return {1, 0}
"""
_SUCCESS = """
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
return 1
"""
_scripts: dict[str, Script] = {}


def _redis():
    """The cache's own Redis client, or None when the cache is not Redis."""
    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None  # noqa: SLF001


def _script(client, source: str) -> Script:
    if source not in _scripts:
        _scripts[source] = client.register_script(source)
    return _scripts[source]


def _attempt_call(*, email: str, ip: str, now: int) -> tuple[list, list]:
    """The attempt script's keys and arguments."""
    window = throttling.Window.at(now, period=IP_PERIOD)
    keys = [*_keys(email), throttling.window_key(_IP_SCOPE, ip, period=IP_PERIOD, now=now)]
    keys.append(throttling.window_key(_IP_SCOPE, ip, period=IP_PERIOD, now=now - IP_PERIOD))
    args = [now, FREE_FAILURES, FIRST_WAIT, MAX_WAIT, _TTL, IP_LIMIT, window.overlap, 2 * IP_PERIOD + 1]
    args.append(window.retry_after)
    return [cache.make_key(k) for k in keys], args


def _verdict(reply) -> Verdict:
    allowed, retry_at = reply
    return Verdict(True) if allowed else Verdict(False, float(retry_at))


def _attempt_redis(client, *, email: str, ip: str, now: int) -> Verdict:
    keys, args = _attempt_call(email=email, ip=ip, now=now)
    return _verdict(_script(client, _ATTEMPT)(keys=keys, args=args, client=client))


class PendingAttempt:
    """`attempt()` sent now and its verdict read later (issue 18): the login view reads the account's row while
    Redis answers. The rule is unchanged: the verdict is read, and the attempt counted, before any password check.

    `verdict()` reads it (once; later calls give the same); `abandon()` drops an unread answer with its connection
    (the view calls it in a `finally`, so a failure in between never leaves an answer for the next command on that
    connection). Without Redis, or when sending fails, `verdict()` is `attempt()` itself (failing open, loudly)."""

    def __init__(self, *, email: str, ip: str):
        self.email, self.ip = email, ip
        self._result: Verdict | None = None
        self._pool = self._conn = None
        try:
            client = _redis()
            if client is None:
                return
            keys, args = _attempt_call(email=email, ip=ip, now=int(time.time()))
            sha = _script(client, _ATTEMPT).sha
            pool = client.connection_pool
            conn = pool.get_connection()
            try:
                conn.send_command("EVALSHA", sha, len(keys), *keys, *args)
            except BaseException:
                conn.disconnect()
                pool.release(conn)
                raise
            self._pool, self._conn = pool, conn
        except Exception:  # noqa: BLE001 - verdict() asks again the usual way
            logger.warning("Login limits: sending the attempt ahead failed; asking at once", exc_info=True)

    def verdict(self) -> Verdict:
        if self._result is None:
            if self._conn is None:
                self._result = attempt(email=self.email, ip=self.ip)
            else:
                self._result = self._read()
        return self._result

    def _read(self) -> Verdict:
        conn, self._conn = self._conn, None
        try:
            return _verdict(conn.read_response())
        except NoScriptError:  # Redis lost its scripts (a restart): nothing ran; the usual call loads it and counts
            return attempt(email=self.email, ip=self.ip)
        except Exception:  # noqa: BLE001 - fail open, loudly, as attempt()
            conn.disconnect()
            logger.exception("Login limits unavailable (cache down); allowing the attempt")
            return Verdict(True)
        finally:
            self._pool.release(conn)

    def abandon(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.disconnect()  # its answer unread: never handed to the next command
            self._pool.release(conn)
