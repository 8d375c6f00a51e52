"""Faults of real dependencies: the database connection dropped under the portal, Redis gone."""

import logging
import shutil
import subprocess
import time

import psycopg
import pytest
import redis
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
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
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


def _unreachable_redis() -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = _unreachable_redis()
    yield


@pytest.fixture
def redis_full(settings):
    """A real Redis that refuses every write (maxmemory reached under noeviction), as a full production one does."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - a fixed local command
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory",
            "1",
            "--maxmemory-policy",
            "noeviction",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set("probe", "x")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
            }
        }
        yield
    finally:
        server.terminate()
        server.wait(5)


def _password_checked(monkeypatch) -> list:
    from accounts.models import User

    checked = []
    original = User.check_password
    monkeypatch.setattr(
        User, "check_password", lambda self, raw: checked.append(self.pk) or original(self, raw)
    )
    return checked


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["redis_down", "redis_full"])
def test_login_limits_that_cannot_count_refuse_the_attempt_and_check_no_password(
    client, enrolled_user, password, outage, request, monkeypatch, caplog
):
    """Fail closed: no counting, no guessing. The right and a wrong password get the same answer (no oracle), a
    clear "try again later", and no session."""
    request.getfixturevalue(outage)
    checked = _password_checked(monkeypatch)
    with caplog.at_level(logging.ERROR):
        answers = [
            client.post(
                "/accounts/login/",
                {"username": enrolled_user.email, "password": guess},
                HTTP_ACCEPT_LANGUAGE="nl",
            )
            for guess in ("wrong-1", password, "wrong-2")
        ]
    assert [a.status_code for a in answers] == [503, 503, 503]
    assert all("Inloggen lukt even niet" in a.content.decode() for a in answers)
    assert checked == []
    assert "_auth_user_id" not in client.session
    assert any("refusing the attempt" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_a_login_that_ends_in_a_server_error_is_not_a_failed_attempt(enrolled_user, password, monkeypatch):
    """A right password answered 500 (the database failed mid-step) counts nothing against the account or the
    address: after more such errors than the free failures, the right password still logs in at once."""
    from django.db import OperationalError
    from django.test import Client

    from accounts import lockout
    from accounts.forms import LoginForm

    def database_gone(self):
        raise OperationalError("server closed the connection unexpectedly")

    client = Client(raise_request_exception=False)
    with monkeypatch.context() as patch:
        patch.setattr(LoginForm, "clean", database_gone)
        for _ in range(lockout.FREE_FAILURES + 2):
            answer = client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
            assert answer.status_code == 500
    assert lockout.attempt(email=enrolled_user.email, ip="127.0.0.1").allowed
    lockout.record_success(email=enrolled_user.email, ip="127.0.0.1")
    response = client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    assert response.status_code == 302


@pytest.mark.django_db
def test_redis_down_sms_sending_fails_closed(client, login, user, settings, sms_outbox):
    """SMS caps fail closed (SMS pumping costs money): no SMS, a clear message, the app remains."""
    login(user)
    settings.CACHES = _unreachable_redis()
    response = client.post("/twofactor/setup/sms/send/", {"number": "+31612345678"})
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
