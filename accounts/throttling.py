"""Fixed-window counters in the shared cache (Redis when REDIS_URL is set) and the trusted client address.

Prevents: guessing by repetition (reset requests, later codes and SMS), across every worker and server, and
dodging a per-address limit with a forged X-Forwarded-For header.
"""

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from accounts.conf import app_settings

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

    When the cache is down the answer is `fail_open` (callers choose per limit) and an error is logged.
    """
    try:
        return _hit(scope, ident, limit=limit, period=period)
    except Exception:  # noqa: BLE001 - redis.ConnectionError and friends
        logger.exception(
            "Limit %s unavailable (cache down); failing %s", scope, "open" if fail_open else "closed"
        )
        return Verdict(allowed=fail_open, retry_after=60)


def _hit(scope: str, ident: str, *, limit: int, period: int) -> Verdict:
    now = time.time()
    window = int(now // period)
    key = _key(scope, ident, window)
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=period + 1)
        count = 1
    retry_after = max(1, int((window + 1) * period - now))
    return Verdict(allowed=count <= limit, retry_after=retry_after)


def peek(scope: str, ident: str, *, limit: int, period: int) -> Verdict:
    """The verdict for the current window without counting an attempt."""
    now = time.time()
    window = int(now // period)
    count = cache.get(_key(scope, ident, window), 0)
    return Verdict(allowed=count < limit, retry_after=max(1, int((window + 1) * period - now)))


def client_ip(request) -> str:
    """The client's address: the socket's, or the entry a configured number of trusted proxies added.

    With N trusted proxies, the N-th address from the right of X-Forwarded-For was written by our outermost proxy;
    anything to its left came from the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = app_settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
