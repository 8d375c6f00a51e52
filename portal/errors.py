"""Error pages in the portal's own layout and language."""

from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token


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
    return _error(request, 500)
