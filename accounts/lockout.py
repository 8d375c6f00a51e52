"""Password guessing limits, shared by every worker and server through the cache (Redis in production).

Per account: after 5 failed logins the account waits before the next try, 30 s and doubling up to 15 minutes;
after a 15-minute wait the count starts again. Per client address: at most 30 failed logins a minute. An unknown
email is counted and limited exactly like a known one, so the answer never tells whether an account exists.
If the cache is down the limits fail open (login keeps working; argon2 and the second factor still stand) and an
error is logged: locking every employee out because Redis restarted would be worse.
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


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_at: float | None = None  # epoch seconds


def _keys(email: str) -> tuple[str, str]:
    digest = salted_hmac("accounts.lockout", (email or "").strip().lower()).hexdigest()[:32]
    return f"accounts.lockout:{digest}:count", f"accounts.lockout:{digest}:last"


def wait_after(failures: int) -> int:
    """Seconds to wait after this many consecutive failures (0 while under the free failures)."""
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_WAIT, FIRST_WAIT * 2 ** (failures - FREE_FAILURES))


def check(*, email: str, ip: str) -> Verdict:
    """May this login attempt go ahead? Asked before the password is checked (a limited try costs no hashing)."""
    now = time.time()
    try:
        count_key, last_key = _keys(email)
        values = cache.get_many([count_key, last_key])
        failures, last = values.get(count_key, 0), values.get(last_key, 0)
        wait = wait_after(failures)
        if wait and now < last + wait:
            return Verdict(False, last + wait)
        if wait >= MAX_WAIT:  # the longest wait is over: start counting again
            cache.delete_many([count_key, last_key, f"{count_key}:told"])
        ip_verdict = throttling.peek("login-ip", ip, limit=IP_LIMIT, period=IP_PERIOD)
        if not ip_verdict.allowed:
            return Verdict(False, now + ip_verdict.retry_after)
    except Exception:  # noqa: BLE001 - fail open, loudly
        logger.exception("Login limits unavailable (cache down); allowing the attempt")
    return Verdict(True)


def begin_attempt(*, email: str, ip: str) -> None:
    """Count the attempt before the password is checked, so parallel guesses cannot slip past the limit while
    the hasher runs; a successful login takes it back (record_success)."""
    try:
        count_key, last_key = _keys(email)
        cache.add(count_key, 0, timeout=_TTL)
        cache.incr(count_key)
        cache.set(last_key, time.time(), timeout=_TTL)
        throttling.hit("login-ip", ip, limit=IP_LIMIT, period=IP_PERIOD, fail_open=True)
    except Exception:  # noqa: BLE001
        logger.exception("Login limits unavailable (cache down); attempt not counted")


def record_failure(*, email: str) -> bool:
    """The attempt failed; True once per slow-down, when the owner should be told."""
    try:
        count_key, _ = _keys(email)
        if cache.get(count_key, 0) < FREE_FAILURES:
            return False
        return cache.add(f"{count_key}:told", 1, timeout=MAX_WAIT)
    except Exception:  # noqa: BLE001
        logger.exception("Login limits unavailable (cache down)")
        return False


def record_success(*, email: str, ip: str) -> None:
    try:
        count_key, last_key = _keys(email)
        cache.delete_many([count_key, last_key, f"{count_key}:told"])
        throttling.undo("login-ip", ip, period=IP_PERIOD)  # only failed logins count against an address
    except Exception:  # noqa: BLE001
        logger.exception("Login limits unavailable (cache down)")
