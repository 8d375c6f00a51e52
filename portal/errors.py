"""Error pages in the portal's own layout and language, and the short page for when Redis does not answer."""

import logging
import sys

import redis
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

from accounts.context_processors import contact_details

logger = logging.getLogger(__name__)
# Redis (sessions, cache, limits) that cannot be reached or does not answer in time: not a wrong command.
STORE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
RETRY_AFTER_SECONDS = 120
# The 503 page may be answered before django-csp and the clickjacking middleware see it: its own, strict copy.
UNAVAILABLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def _error(request, status: int):
    return render(request, "error.html", {"status": status}, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error(request, 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error(request, 403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error(request, 404)


@requires_csrf_token
def server_error(request):
    exception = sys.exc_info()[1]
    if isinstance(
        exception, STORE_DOWN
    ):  # raised past StoreUnavailableMiddleware (a session saved at the end)
        return service_unavailable(request, exception)
    return _error(request, 500)


@requires_csrf_token
def upload_too_large(request):
    """What nginx shows for a body over its limit (error_page 413, deploy/nginx): the portal's page, translated."""
    return render(
        request, "upload_too_large.html", {"max_bytes": settings.DOSSIER_MAX_UPLOAD_BYTES}, status=413
    )


def service_unavailable(request, exception: Exception) -> HttpResponse:
    """503 with Retry-After and one log line; the page reads neither the session nor the user (Redis holds both)."""
    # No path here: a link's token would come with it (Django's own line for the 503 names the path).
    logger.warning("Redis unavailable (%s): answered 503", type(exception).__name__)
    context = {"PORTAL_NAME": settings.PORTAL_NAME, **contact_details()}
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response.setdefault("X-Frame-Options", "DENY")
    response.setdefault("Content-Security-Policy", UNAVAILABLE_CSP)
    return response


class StoreUnavailableMiddleware:
    """Redis down: every page answers the short 503 page instead of a 500 with an empty body.

    The session is loaded here, before authentication and the views. Loaded later (by the lazy request.user), its
    failure reaches Django's handler for uncaught errors, whose error page reads the session again: every middleware
    around it then logs the same traceback, and the last one escapes to gunicorn as an empty 500. Redis failing
    inside a view (the cache: throttles, the page cache) is caught by process_exception.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.session.keys()  # the load every page with a session cookie makes anyway, only earlier
        except STORE_DOWN as exc:
            return service_unavailable(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, STORE_DOWN):
            return service_unavailable(request, exception)
        return None
