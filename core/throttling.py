"""Sliding-window counters in the shared cache (Redis when REDIS_URL is set) and the trusted client address.

Prevents: guessing by repetition (reset requests, later codes and SMS), across every worker and server, and
dodging a per-address limit with a forged X-Forwarded-For header.
"""

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from core import metrics
from core.conf import app_settings

_KEY_SALT = "accounts.throttle"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets


def _key(scope: str, ident: str, window: int) -> str:
    # The identifier (an email, a phone number) is kept out of the cache in clear text.
    digest = salted_hmac(_KEY_SALT, f"{scope}:{ident}").hexdigest()[:32]
    return f"accounts.throttle:{scope}:{digest}:{window}"


def hit(scope: str, ident: str, *, limit: int, period: int, fail_open: bool = False) -> Verdict:
    """Count one attempt; allowed while the count in the current window stays within the limit.

    When the cache is down the answer is `fail_open` (callers choose per limit) and an error is logged. A refusal is
    counted in the metrics under the limit's scope (never the identifier).
    """
    try:
        verdict = count(scope, ident, limit=limit, period=period)
    except Exception:  # noqa: BLE001 - redis.ConnectionError and friends
        logger.exception(
            "Limit %s unavailable (cache down); failing %s", scope, "open" if fail_open else "closed"
        )
        verdict = Verdict(allowed=fail_open, retry_after=60)
    if not verdict.allowed:
        metrics.THROTTLE_REFUSALS.labels(limit=scope).inc()
    return verdict


@dataclass(frozen=True)
class Window:
    """Where `now` falls in the fixed windows of `period` seconds: the window's number, how much of the previous
    window still overlaps the sliding window ending now, and the seconds until this window ends."""

    number: int
    overlap: float
    retry_after: int

    @classmethod
    def at(cls, now: float, *, period: int) -> "Window":
        number = int(now // period)
        return cls(number, 1 - (now - number * period) / period, max(1, int((number + 1) * period - now)))


def window_key(scope: str, ident: str, *, period: int, now: float) -> str:
    """The cache key of the window `now` falls in (accounts.lockout counts login addresses in one script)."""
    return _key(scope, ident, int(now // period))


def _estimate(scope: str, ident: str, period: int, now: float, *, add: int) -> tuple[float, int]:
    """Sliding window: this window's count plus the previous window's, weighted by how much of it still overlaps.

    A fixed window alone would let twice the limit through around a window boundary.
    """
    window = Window.at(now, period=period)
    key, previous_key = _key(scope, ident, window.number), _key(scope, ident, window.number - 1)
    if add:
        cache.add(key, 0, timeout=2 * period + 1)
        try:
            current = cache.incr(key, add)
        except ValueError:  # the key expired between add and incr
            cache.add(key, add, timeout=2 * period + 1)
            current = add
        previous = cache.get(previous_key, 0)
    else:
        values = cache.get_many([key, previous_key])
        current, previous = values.get(key, 0), values.get(previous_key, 0)
    return current + previous * window.overlap, window.retry_after


def count(scope: str, ident: str, *, limit: int, period: int) -> Verdict:
    """`hit` that raises when the cache fails, for a caller that decides itself what an outage means."""
    estimate, retry_after = _estimate(scope, ident, period, time.time(), add=1)
    return Verdict(allowed=estimate <= limit, retry_after=retry_after)


def undo(scope: str, ident: str, *, period: int) -> None:
    """Take back one counted attempt in the current window (it turned out not to count, e.g. a good login)."""
    key = _key(scope, ident, int(time.time() // period))
    try:
        if cache.decr(key) < 0:  # counted in the window before: nothing to take back here
            cache.incr(key)
    except ValueError:  # no count in this window
        pass


def peek(scope: str, ident: str, *, limit: int, period: int, now: float | None = None) -> Verdict:
    """The verdict for one more attempt now, without counting it."""
    estimate, retry_after = _estimate(scope, ident, period, time.time() if now is None else now, add=0)
    return Verdict(allowed=estimate + 1 <= limit, retry_after=retry_after)


def _from_trusted_proxy(remote: str) -> bool:
    """Whether the socket peer is one of our proxies (FORWARDED_ALLOW_IPS: addresses, networks or "*")."""
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    for entry in app_settings.TRUSTED_PROXY_IPS:
        if entry == "*":
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request) -> str:
    """The client's address: the socket's, or the entry a configured number of trusted proxies added.

    With N trusted proxies, the N-th address from the right of X-Forwarded-For was written by our outermost proxy;
    anything to its left came from the client and is ignored. The header counts only when the request came from a
    trusted proxy's address: a client that reaches the app server directly cannot write its own entry.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = app_settings.TRUSTED_PROXY_COUNT
    if proxies <= 0 or not _from_trusted_proxy(remote):
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
