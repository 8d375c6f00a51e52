"""Password guessing limits, shared by every worker and server through the cache (Redis in production).

Per account: after 5 failed logins the account waits before the next try, 30 s and doubling up to 15 minutes;
after a 15-minute wait the count starts again. Per client address: at most 30 failed logins a minute. An unknown
email is counted and limited exactly like a known one, so the answer never tells whether an account exists.

Fails closed: when the limits cannot be read or counted (the cache is down, full, or refuses writes), the attempt
is refused as `unavailable` and no password is checked, so an outage never becomes unlimited guessing. An attempt
is counted before its password is checked (parallel guesses cannot slip past the limit while the hasher runs); a
good login takes it back (`record_success`), and so does an attempt that ended in a server error (`void`).
"""

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac

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
    unavailable: bool = False  # the limits could not be asked: refused, try again later


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
    """May this login attempt go ahead? Asked before the password is checked (a limited try costs no hashing);
    an allowed attempt is counted at once."""
    try:
        return _attempt(email=email, ip=ip, now=int(time.time()))
    except Exception:  # noqa: BLE001 - redis errors of every kind: fail closed, loudly
        logger.exception("Login limits unavailable (cache down or full); refusing the attempt")
        return Verdict(False, unavailable=True)


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
    """A good login: the account's count starts again, and the attempt no longer counts against the address."""
    try:
        cache.delete_many(list(_keys(email)))
        throttling.undo(_IP_SCOPE, ip, period=IP_PERIOD)  # only failed logins count against an address
    except Exception:  # noqa: BLE001
        logger.exception("Login limits unavailable (cache down)")


def void(*, email: str, ip: str) -> None:
    """The counted attempt ended in a server error: it was no failed guess, so it is taken back."""
    try:
        count_key = _keys(email)[0]
        if cache.get(count_key, 0) > 0:
            cache.decr(count_key)
        throttling.undo(_IP_SCOPE, ip, period=IP_PERIOD)
    except Exception:  # noqa: BLE001
        logger.exception("Login limits unavailable (cache down)")


def _attempt(*, email: str, ip: str, now: int) -> Verdict:
    """The account's wait and the address's sliding window (core/throttling.py's rule) read in one round trip;
    an allowed attempt is then counted on both."""
    count_key, last_key, told_key = _keys(email)
    window = throttling.Window.at(now, period=IP_PERIOD)
    ip_key = throttling.window_key(_IP_SCOPE, ip, period=IP_PERIOD, now=now)
    ip_previous = throttling.window_key(_IP_SCOPE, ip, period=IP_PERIOD, now=now - IP_PERIOD)
    values = cache.get_many([count_key, last_key, ip_key, ip_previous])
    failures, last = values.get(count_key, 0), values.get(last_key, 0)
    wait = wait_after(failures)
    if wait and now < last + wait:
        return Verdict(False, last + wait)
    if wait >= MAX_WAIT:  # the longest wait is over: start counting again
        cache.delete_many([count_key, last_key, told_key])
    if values.get(ip_key, 0) + values.get(ip_previous, 0) * window.overlap + 1 > IP_LIMIT:
        return Verdict(False, now + window.retry_after)
    _count(count_key, _TTL)
    cache.set(last_key, now, timeout=_TTL)
    _count(ip_key, 2 * IP_PERIOD + 1)
    return Verdict(True)


def _count(key: str, timeout: int) -> None:
    if not cache.add(key, 1, timeout=timeout):  # the first of its window: one round trip
        cache.incr(key)
