"""/metrics: only with METRICS_TOKEN as a Bearer token; requests, latencies, the outbox backlog, login failures and
throttle refusals; every gunicorn worker's numbers added up in multiprocess mode."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from core.models import OutgoingEmail

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "m3tr1cs-" + "t" * 40


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def _scrape(**headers):
        return client.get("/metrics", **{"HTTP_AUTHORIZATION": f"Bearer {TOKEN}", **headers})

    return _scrape


@pytest.mark.parametrize(
    "token, authorization",
    [
        ("", f"Bearer {TOKEN}"),  # no METRICS_TOKEN: no endpoint at all
        (TOKEN, None),
        (TOKEN, f"Bearer {TOKEN[:-1]}"),
        (TOKEN, f"Bearer {TOKEN}x"),
        (TOKEN, f"Basic {TOKEN}"),
        (TOKEN, TOKEN),
    ],
)
def test_metrics_are_not_found_without_the_right_token(client, settings, token, authorization):
    settings.METRICS_TOKEN = token
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 404
    assert b"django_http" not in response.content and b"portal_outbox" not in response.content


def test_metrics_show_requests_latencies_and_the_outbox_backlog(client, scrape):
    client.get("/accounts/login/")
    for age in (timedelta(minutes=12), timedelta(minutes=1)):
        mail = OutgoingEmail.objects.create(to="anna@example.nl", subject="s", body_text="b", kind="test")
        OutgoingEmail.objects.filter(pk=mail.pk).update(created_at=timezone.now() - age)
    OutgoingEmail.objects.create(
        to="bob@example.nl", subject="s", kind="test", status=OutgoingEmail.Status.SENT
    )

    response = scrape()
    text = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=")
    assert (
        'django_http_requests_total_by_view_transport_method_total{method="GET",transport="http",'
        'view="accounts:login"}' in text
    )
    assert (
        'django_http_requests_latency_seconds_by_view_method_bucket{le="0.01",method="GET",view="accounts:login"}'
        in text
    )
    assert "portal_outbox_pending_mails 2.0" in text
    (age,) = [
        line.split()[1] for line in text.splitlines() if line.startswith("portal_outbox_oldest_pending_age")
    ]
    assert 12 * 60 <= float(age) < 13 * 60
    assert "@" not in text


def test_an_empty_outbox_has_no_age(scrape):
    text = scrape().content.decode()
    assert (
        "portal_outbox_pending_mails 0.0" in text and "portal_outbox_oldest_pending_age_seconds 0.0" in text
    )


def test_the_scraper_reaches_each_server_by_its_address_over_plain_http(client, scrape, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert scrape(HTTP_HOST="172.28.0.5:8000").status_code == 200
    # Anyone else's request from that address is refused as before: a Host not allowed, no endpoint.
    assert client.get("/metrics", HTTP_HOST="172.28.0.5:8000").status_code == 400


def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_failed_logins_and_limit_refusals_are_counted_without_who(client, scrape, settings, captcha):
    failures = _sample("portal_login_failures_total")
    refused = _sample("portal_throttle_refusals_total", limit="reset-email")
    client.post("/accounts/login/", {"username": "anna@example.nl", "password": "fout"})
    settings.ACCOUNTS_RESET_LIMIT_PER_EMAIL = (1, 3600)
    for _ in range(2):
        client.post(
            "/accounts/password-reset/",
            {"birth_date": "04-07-1985", "email": "anna@example.nl", "g-recaptcha-response": captcha()},
        )
    assert _sample("portal_login_failures_total") == failures + 1
    assert _sample("portal_throttle_refusals_total", limit="reset-email") == refused + 1
    text = scrape().content.decode()
    assert (
        "portal_login_failures_total" in text
        and 'portal_throttle_refusals_total{limit="reset-email"}' in text
    )
    assert "anna" not in text and "127.0.0.1" not in text


def test_a_refused_login_is_counted_as_a_login_limit(client):
    before = _sample("portal_throttle_refusals_total", limit="login")
    statuses = [
        client.post("/accounts/login/", {"username": "a@example.nl", "password": "fout"}).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]  # the sixth waits (accounts.lockout)
    assert _sample("portal_throttle_refusals_total", limit="login") == before + 1


COUNT = """
import django; django.setup()
from core import metrics
metrics.LOGIN_FAILURES.inc()
metrics.THROTTLE_REFUSALS.labels(limit="login").inc(2)
"""
EXPOSE = """
import django; django.setup()
from unittest import mock
from core import metrics
with mock.patch("core.selectors.outbox_backlog", return_value=(3, 60.0)):
    print(metrics.exposition().decode())
"""


def test_multiprocess_mode_adds_up_the_numbers_of_every_worker(tmp_path):
    """Two worker processes count, a third answers the scrape: it shows the sum (gunicorn.conf.py's set-up)."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
    }
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
    for _ in range(2):
        counted = subprocess.run([sys.executable, "-c", COUNT], **run)
        assert counted.returncode == 0, counted.stderr[-2000:]
    exposed = subprocess.run([sys.executable, "-c", EXPOSE], **run)
    assert exposed.returncode == 0, exposed.stderr[-2000:]
    assert "portal_login_failures_total 2.0" in exposed.stdout
    assert 'portal_throttle_refusals_total{limit="login"} 4.0' in exposed.stdout
    assert "portal_outbox_pending_mails 3.0" in exposed.stdout
