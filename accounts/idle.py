"""The idle timeout, as the browser sees it: how long this session has left, "Blijf ingelogd", and where
a timed-out user goes (back to the page they were on, after logging in again).

The clock itself is kept by accounts.middleware (written at most once per WRITE_INTERVAL). This module only reads it,
and refreshes it for one explicit request: the "Blijf ingelogd" button.

Prevents: the status check keeping a session alive by itself (it never writes the clock), "Blijf ingelogd" stretching
a session past its absolute lifetime (the middleware ends it at STARTED + SESSION_ABSOLUTE_LIFETIME whatever the idle
clock says, and the answer counts down to that), and a forged `next` after the timeout (core.redirects.safe_next).
"""

import time

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts import middleware as policy  # the clock's keys (a module import: middleware imports this one)
from core.redirects import safe_next

# The dialog opens this many seconds before the idle logout (WCAG 2.2.1 asks for at least 20 s to react).
WARN_BEFORE = 120


def expires_in(session, now: float | None = None) -> tuple[int, bool]:
    """Seconds until the server ends this session, and whether "Blijf ingelogd" can postpone that.

    Counted from the stored clock, so the page's countdown matches the middleware exactly (it may run up to
    WRITE_INTERVAL short of the user's real last activity: the safe side). Not extendable once the absolute lifetime
    comes first.
    """
    now = time.time() if now is None else now
    started = session.get(policy.STARTED, now)
    idle_left = session.get(policy.LAST_SEEN, now) + settings.SESSION_IDLE_TIMEOUT - now
    absolute_left = started + settings.SESSION_ABSOLUTE_LIFETIME - now
    return max(0, int(min(idle_left, absolute_left))), idle_left < absolute_left


def keep_alive(session, now: float | None = None) -> tuple[int, bool]:
    """ "Blijf ingelogd": restart the idle clock (this one request writes the session) and answer what is left."""
    now = time.time() if now is None else now
    session[policy.LAST_SEEN] = now
    return expires_in(session, now)


def is_status_check(request) -> bool:
    """The dialog's status check reads the clock without restarting it (else checking would keep a session alive)."""
    return request.path == reverse("accounts:idle-status")


def timed_out_response(request, reason: str):
    """After the middleware ended the session: the dialog's calls get JSON, a page is sent to "U bent uitgelogd"
    with the page it asked for as `next` (a GET to a path on this site only; a POST is not repeated)."""
    if request.path in (reverse("accounts:idle-status"), reverse("accounts:keep-alive")):
        return logged_out_json(reason)
    target = safe_next(request.get_full_path()) if request.method in ("GET", "HEAD") else None
    query = {"reason": reason, "next": target} if target else {"reason": reason}
    return redirect(f"{reverse('accounts:logged-out')}?{urlencode(query)}")


def logged_out_json(reason: str = "idle") -> JsonResponse:
    """The dialog's answer when there is no session (any more): 401, and where to go."""
    url = f"{reverse('accounts:logged-out')}?{urlencode({'reason': reason})}"
    return JsonResponse({"expires_in": 0, "extendable": False, "logged_out_url": url}, status=401)


def context(request) -> dict:
    """Template context for the warning dialog (templates/accounts/_idle_dialog.html), for a verified session."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and getattr(user, "is_verified", lambda: False)()):
        return {}
    seconds, extendable = expires_in(request.session)
    return {
        "idle_dialog": True,
        "idle_expires_in": seconds,
        "idle_extendable": extendable,
        "idle_warn_before": WARN_BEFORE,
    }
