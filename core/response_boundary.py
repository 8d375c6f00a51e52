"""The edge of a request (issue 18): what must be finished before its response leaves, and what may wait until the
response has been sent.

`ResponseBoundaryMiddleware` is the outermost middleware.

- Before: log rows sent ahead during the request (core/durability.py) are read back; one that failed raises, and
  the error page goes out instead of the response (no page, no session cookie).
- After: `after_response(fn, ...)` runs `fn` once the server has sent the response (the response's close(), which
  every WSGI server and Django's test client call), for work whose outcome the response does not depend on, such
  as taking back the login's counted attempt (accounts/services.user_login). Outside a request it runs at once. An
  error there is logged, never shown: the user already has the answer.
"""

from __future__ import annotations

import contextvars
import logging
from functools import partial

from django.db import DatabaseError

logger = logging.getLogger(__name__)

_IN_REQUEST = contextvars.ContextVar("in_request", default=False)
_AFTER = contextvars.ContextVar("after_response", default=None)


def in_request() -> bool:
    """True inside ResponseBoundaryMiddleware: the answers of rows sent ahead are read before the response leaves."""
    return _IN_REQUEST.get()


def after_response(fn, /, *args, **kwargs) -> None:
    """Run `fn(*args, **kwargs)` after the response has been sent; at once outside a request."""
    pending = _AFTER.get()
    if pending is None:
        fn(*args, **kwargs)
    else:
        pending.append(partial(fn, *args, **kwargs))


def _run(pending: list) -> None:
    for call in pending:
        try:
            call()
        except Exception:  # the response is out: logged, and the others still run
            logger.exception("work after the response failed: %r", call.func)


class ResponseBoundaryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core.durability import wait_sent_rows

        pending: list = []
        tokens = _IN_REQUEST.set(True), _AFTER.set(pending)
        try:
            response = self.get_response(request)
        except BaseException:
            try:
                wait_sent_rows()
            except DatabaseError:
                logger.exception("a log row sent ahead failed, in a request that failed too")
            _run(pending)
            raise
        finally:
            _IN_REQUEST.reset(tokens[0])
            _AFTER.reset(tokens[1])
        wait_sent_rows()  # raises where a row failed: Django's error page instead of this response
        if pending:
            # Django's HttpResponse.close() calls its resource closers once the server has sent the response.
            response._resource_closers.append(partial(_run, pending))  # noqa: SLF001
        return response
