"""portal/health.py: /healthz/live/ asks nothing, /healthz/ready/ what a page needs, /healthz/ also the document
store and the mail backlog; every probe within its time-out."""

import logging
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.db.utils import OperationalError
from django.utils import timezone

from core.mailer import mail_enqueue
from core.models import OutgoingEmail
from portal import health
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Every connection's cursor fails, as with a database that refuses (the probes run in threads of their own)."""

    def broken(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(type(connections["default"]), "cursor", broken)


def _s3(settings, endpoint: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "portal-docs",
                "endpoint_url": endpoint,
                "access_key": "x",
                "secret_key": "y",
                "region_name": "eu-west-1",
            },
        },
    }


@pytest.fixture
def silent_s3():
    """An address that accepts connections and never answers (a hung object store, not a refused one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)  # the kernel completes the handshakes; nobody ever reads or replies
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("path", ["/healthz/live/", "/healthz/ready/", "/healthz/"])
def test_healthz_every_endpoint_answers_ok_when_everything_is_there(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_healthz_the_probes_answer_over_plain_http_with_ssl_redirect_on(client, settings):
    """curl -f takes a 301 for success: a probe redirected to HTTPS would say ok whatever the state."""
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz/live/", "/healthz/ready/", "/healthz/"):
        assert client.get(path).status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_healthz_live_asks_no_dependency(client, database_down, settings, django_assert_num_queries):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    with django_assert_num_queries(0):
        response = client.get("/healthz/live/")
    assert (response.status_code, response.content) == (200, b"ok")


def test_healthz_without_the_database_ready_and_health_are_503(client, database_down):
    assert client.get("/healthz/ready/").content == b"unavailable: database"
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.content == b"unavailable: database, mail"  # the backlog cannot be read either


def test_healthz_without_the_cache_ready_is_503(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.get("/healthz/ready/")
    assert response.status_code == 503
    assert response.content == b"unavailable: cache"
    assert any("healthz: cache unavailable" in r.getMessage() for r in caplog.records)
    assert client.get("/healthz/").content == b"unavailable: cache"


def test_healthz_is_503_when_static_root_holds_no_manifest(client, settings, tmp_path):
    """The .env.example trap: STATIC_ROOT pointing at an empty folder made every page 500 and healthz 200."""
    settings.STATIC_ROOT = tmp_path / "empty-static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert client.get("/healthz/ready/").content == b"unavailable: static"
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.content == b"unavailable: static"


def test_healthz_is_ok_with_a_collected_manifest(client, settings):
    from tests.test_settings import STATIC_FIXTURE

    settings.STATIC_ROOT = STATIC_FIXTURE
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    assert client.get("/healthz/ready/").status_code == 200


def test_healthz_a_document_folder_that_cannot_be_written_is_red_but_the_server_stays_ready(
    client, settings, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the documents folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "documents"},
        },
    }
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.content == b"unavailable: documents"
    assert client.get("/healthz/ready/").status_code == 200  # pages work; documents are the store's trouble


def test_healthz_is_503_when_the_bucket_refuses_connections(client, settings):
    _s3(settings, f"http://127.0.0.1:{free_port()}")
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.content == b"unavailable: documents"
    assert client.get("/healthz/ready/").status_code == 200


def test_healthz_a_store_that_never_answers_is_red_within_the_probe_time_out(client, settings, silent_s3):
    """A HEAD to an object store that accepts and never replies: red in the probe's time-out, not botocore's 60 s
    read time-out times its retries."""
    settings.HEALTH_PROBE_TIMEOUT = 1
    _s3(settings, silent_s3)
    started = time.monotonic()
    response = client.get("/healthz/")
    assert time.monotonic() - started < 3
    assert (response.status_code, response.content) == (503, b"unavailable: documents")
    # The probe itself gives up in its time-out too (a single attempt), so no thread is left waiting: well before
    # botocore's own 60 s. This thread builds its client first, which takes a while on a busy machine.
    started = time.monotonic()
    with pytest.raises(Exception, match="(?i)timeout|timed out"):
        health.CHECKS["documents"]()
    assert time.monotonic() - started < 5


def test_healthz_the_answer_waits_for_no_probe_longer_than_the_time_out(
    client, settings, monkeypatch, caplog
):
    """Whatever a dependency does, the answer comes in time: the probes run at once, each waited for in the time-out."""
    settings.HEALTH_PROBE_TIMEOUT = 1
    release = threading.Event()
    monkeypatch.setitem(health.CHECKS, "documents", lambda: release.wait(30))
    monkeypatch.setitem(health.CHECKS, "mail", lambda: release.wait(30))
    started = time.monotonic()
    try:
        response = client.get("/healthz/")
    finally:
        release.set()
    assert time.monotonic() - started < 3
    assert response.content == b"unavailable: documents, mail"
    assert any("documents did not answer within 1 s" in r.getMessage() for r in caplog.records)


def _pending_mail(*, age: timedelta, status=OutgoingEmail.Status.PENDING) -> None:
    mail = mail_enqueue(
        to="jan@example.nl",
        template="accounts/email/password_changed",
        context={"user": None, "link": "https://portal.example.test/x"},
        language="nl",
    )
    OutgoingEmail.objects.filter(pk=mail.pk).update(created_at=timezone.now() - age, status=status)


@pytest.mark.django_db(
    transaction=True
)  # the probes read in threads of their own: the rows must be committed
@pytest.mark.parametrize(
    "age, status, answer",
    [
        (timedelta(minutes=16), OutgoingEmail.Status.PENDING, b"unavailable: mail"),
        (timedelta(minutes=14), OutgoingEmail.Status.PENDING, b"ok"),
        (timedelta(days=2), OutgoingEmail.Status.SENT, b"ok"),
        (
            timedelta(days=2),
            OutgoingEmail.Status.FAILED,
            b"ok",
        ),  # given up: a mail for the admin, not a backlog
    ],
)
def test_healthz_a_mail_pending_longer_than_the_backlog_limit_turns_health_red(
    client, settings, age, status, answer
):
    settings.HEALTH_MAIL_BACKLOG_MINUTES = 15
    _pending_mail(age=age, status=status)
    response = client.get("/healthz/")
    assert response.content == answer
    assert response.status_code == (200 if answer == b"ok" else 503)
    assert (
        client.get("/healthz/ready/").status_code == 200
    )  # a stuck outbox is an alert, not a reason to stop pages


def test_healthz_the_log_says_why_and_the_answer_does_not(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:secret-password@127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with caplog.at_level(logging.ERROR):
        response = client.get("/healthz/ready/")
    assert b"secret" not in response.content and b"127.0.0.1" not in response.content
    assert any(r.exc_info for r in caplog.records if "cache unavailable" in r.getMessage())


def test_a_server_that_is_not_ready_at_start_refuses_to_start(settings, monkeypatch):
    """With DEBUG off, a wrong DATABASE_URL (or a cache that does not answer) stops gunicorn's worker from loading
    the app, instead of serving 500s behind a 503 health check."""
    from django.core.exceptions import ImproperlyConfigured

    from portal.startup import refuse_unready_start

    settings.DEBUG = False

    def unreachable():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", unreachable)
    with pytest.raises(ImproperlyConfigured, match="not ready: database"):
        refuse_unready_start()
    monkeypatch.undo()
    refuse_unready_start()  # everything answers: it starts
    settings.DEBUG = True
    monkeypatch.setitem(health.CHECKS, "database", unreachable)
    refuse_unready_start()  # `make run` is never refused for this
