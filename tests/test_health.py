"""/healthz/: 200 only when the database, the cache, the static manifest and the document storage all answer."""

import pytest
from django.db import connection
from django.db.utils import OperationalError

from tests.conftest import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_when_everything_is_there(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_healthz_is_503_without_the_database(client, monkeypatch):
    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.content == b"unavailable: database"


def test_healthz_is_503_without_the_cache(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.content == b"unavailable: cache"
    assert any("healthz: cache unavailable" in r.getMessage() for r in caplog.records)


def test_healthz_is_503_when_static_root_holds_no_manifest(client, settings, tmp_path):
    """The .env.example trap: STATIC_ROOT pointing at an empty folder made every page 500 and healthz 200."""
    settings.STATIC_ROOT = tmp_path / "empty-static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
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
    assert client.get("/healthz/").status_code == 200


def test_healthz_is_503_when_the_document_folder_cannot_be_written(client, settings, tmp_path):
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


def test_healthz_is_503_when_the_bucket_cannot_be_reached(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "portal-docs",
                "endpoint_url": f"http://127.0.0.1:{free_port()}",
                "access_key": "x",
                "secret_key": "y",
                "region_name": "eu-west-1",
            },
        },
    }
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.content == b"unavailable: documents"


def test_healthz_names_every_failed_part(client, settings, tmp_path, monkeypatch):
    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    settings.STATIC_ROOT = tmp_path / "empty-static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    assert client.get("/healthz/").content == b"unavailable: database, static"


def test_a_server_that_is_not_ready_at_start_refuses_to_start(settings, monkeypatch):
    """Issue 30: with DEBUG off, a wrong DATABASE_URL (or a cache that does not answer) stops gunicorn's
    worker from loading the app, instead of serving 500s behind a 503 health check."""
    from django.core.exceptions import ImproperlyConfigured

    from portal import health
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
