"""Session rules on every request: idle timeout, absolute lifetime, no caching of personal pages, browser policies.

Prevents: a session left open on a shared computer staying usable (idle 15 minutes, at most 8 hours), the Back
button or a proxy showing a dossier page after logout (no-store), and powerful browser features being available to
any page (Permissions-Policy).
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils.cache import patch_cache_control

from accounts import idle

STARTED = "accounts.session_started"
LAST_SEEN = "accounts.last_seen"
USER_AGENT = "accounts.user_agent"  # set at login, shown in words on the sessions page
GENERATION = "accounts.session_generation"  # the user's session_generation when this session was started
# The idle clock is written at most this often per session (a session write is a Redis or database round trip on
# every request otherwise); the idle timeout is therefore exact to within this many seconds.
WRITE_INTERVAL = 60
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(STARTED, now)
            last_seen = request.session.get(LAST_SEEN, now)
            reason = None
            # Ended with all of the user's sessions (log out everywhere, a new second factor, a staff change of
            # contact details): checked against the user row, as Django checks the password hash, so it holds
            # even if the session store lost its per-user index.
            if request.session.get(GENERATION, 0) != user.session_generation:
                reason = "ended"
            elif now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                reason = "idle"
            elif now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                reason = "expired"
            if reason:
                logout(request)  # flushes the session server-side
                return idle.timed_out_response(request, reason)  # back to this page after logging in
            # the timeout dialog's status check is no activity (asked only when a write is due)
            if now - last_seen > WRITE_INTERVAL and not idle.is_status_check(request):
                request.session[LAST_SEEN] = now
            else:
                request.session.setdefault(LAST_SEEN, now)
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
