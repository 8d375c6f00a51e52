"""Faults of real dependencies: the database connection dropped under the portal, Redis gone."""

import logging

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.conftest import free_port


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="restarting the database needs PostgreSQL")
def test_postgresql_connections_dropped_while_the_portal_runs(live_server):
    """Every server connection is terminated (as by a PostgreSQL restart); the next request still works.

    A real server thread is used: Django's test client switches off the per-request connection checks.
    """
    from urllib.request import urlopen

    assert urlopen(f"{live_server.url}/healthz/").read() == b"ok"
    db = django_settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                         autocommit=True) as admin:  # fmt: skip
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        ).fetchone()[0]
    connection.close()  # the test's own connection was terminated too; the teardown needs a fresh one
    print(f"terminated {killed} connection(s) of the test database")
    assert db["CONN_HEALTH_CHECKS"]
    assert urlopen(f"{live_server.url}/healthz/").read() == b"ok"
    assert urlopen(f"{live_server.url}/accounts/login/").status == 200


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    yield


@pytest.mark.django_db
def test_redis_down_login_still_works_and_an_error_is_logged(
    client, enrolled_user, verify, redis_down, caplog
):
    """Login limits fail open (availability), loudly: argon2 and the second factor still stand."""
    with caplog.at_level(logging.ERROR):
        response = verify(client, enrolled_user)
    assert response.status_code == 302 and response["Location"] == "/dossier/"
    assert any("cache down" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_redis_down_sms_sending_fails_closed(client, login, user, settings, redis_down, sms_outbox):
    """SMS caps fail closed (SMS pumping costs money): no SMS, a clear message, the app remains."""
    login(user)
    response = client.post("/twofactor/setup/sms/send/", { "number": "+31612345678"})
    assert response.status_code == 429
    assert sms_outbox.messages() == []


@pytest.mark.django_db
def test_redis_down_password_reset_fails_closed(client, user, captcha, redis_down):
    """Reset requests fail closed: without counters nobody can flood mailboxes; the page says to try later."""
    response = client.post(
        "/accounts/password-reset/",
        {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()},
    )
    assert response.status_code in (200, 429)
    assert "500" not in str(response.status_code)
