"""Prometheus metrics: django-prometheus counts requests and latencies, this module the portal's own, and serves them.

Prevents: a public window on the portal's traffic. /metrics answers only a request that carries METRICS_TOKEN as a
Bearer token (compared in constant time); any other request goes on as usual and finds no page (404), and without
METRICS_TOKEN there is no endpoint at all. No metric is labelled with an address, e-mail or user.

Several gunicorn workers each count their own requests: with PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps
every worker's numbers in files there and the answer adds them up (gunicorn.conf.py empties the folder at start and
marks a stopped worker's files dead). Without it (make run, tests) the numbers are this process's.
"""

import os

from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from core import selectors
from core.conf import app_settings

LOGIN_FAILURES = Counter("portal_login_failures", "Failed logins: wrong e-mail address or password.")
THROTTLE_REFUSALS = Counter(
    "portal_throttle_refusals",
    "Attempts refused by a limit, by limit (login, reset-ip, sms-user, ...).",
    ["limit"],
)


class OutboxCollector:
    """The outbox backlog, read from the database at each scrape: the same figure on every app server."""

    def collect(self):
        pending, oldest_age = selectors.outbox_backlog()
        yield GaugeMetricFamily("portal_outbox_pending_mails", "Mails waiting in the outbox.", value=pending)
        yield GaugeMetricFamily(
            "portal_outbox_oldest_pending_age_seconds",
            "Age of the oldest mail waiting in the outbox (0 when none waits).",
            value=oldest_age,
        )


def exposition() -> bytes:
    """Every metric in Prometheus' text format: all workers' (multiprocess mode) or this process's, and the outbox."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return generate_latest(registry) + generate_latest(outbox)


class MetricsMiddleware:
    """Serves /metrics ahead of the Host check and the HTTPS redirect: Prometheus scrapes each app server by its
    address on the internal network, which is no name in ALLOWED_HOSTS, and the answer holds no link to misdirect."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = app_settings.METRICS_TOKEN
        if (
            request.path_info != "/metrics"
            or not token
            or not constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}")
        ):
            return self.get_response(request)
        response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response
