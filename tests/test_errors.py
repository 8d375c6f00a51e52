"""portal/errors.py: Redis down answers a short translated 503 page with one line in the log (not a 500 with an
empty body after a traceback per middleware); nginx's 413 shows the portal's own page."""

import logging
import time
from importlib import import_module

import pytest
import redis

from accounts.middleware import LAST_SEEN
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

UNAVAILABLE_NL = "Het portaal is even niet bereikbaar. Probeer het over een paar minuten opnieuw."
UNAVAILABLE_EN = "The portal is not available for a moment. Please try again in a few minutes."


def _unreachable_cache(settings) -> str:
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    return url


@pytest.fixture
def redis_down(settings):
    """Sessions and cache in a Redis that refuses connections (`docker compose stop redis`)."""
    from accounts import sessions_redis

    settings.SESSION_REDIS_URL = _unreachable_cache(settings)
    settings.SESSION_ENGINE = "accounts.sessions_redis"
    kept = sessions_redis._client  # made again from the setting; the old one comes back after
    sessions_redis._client = None
    yield
    # Before the autouse cache cleaner's teardown, which empties the sessions' real Redis through this client.
    sessions_redis._client = kept


def _warnings(caplog) -> list:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("language, text", [("nl", UNAVAILABLE_NL), ("en", UNAVAILABLE_EN)])
def test_redis_down_a_page_answers_the_translated_503_page_with_one_log_line(
    client, settings, redis_down, caplog, language, text
):
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32  # someone who was logged in
    with caplog.at_level(logging.INFO):
        response = client.get("/dossier/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    assert response["Cache-Control"] == "no-store"
    assert text in response.content.decode()
    # The cause, and Django's line for the 503; no traceback at all.
    assert [r.getMessage() for r in _warnings(caplog)] == [
        "Redis unavailable (ConnectionError): answered 503",
        "Service Unavailable: /dossier/",
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_redis_down_the_503_page_carries_each_security_header_once(client, settings, redis_down):
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    response = client.get("/dossier/")
    assert response.status_code == 503
    for header in ("X-Frame-Options", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert len(response.headers.get(header, "").split("\n")) == 1, header
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_redis_down_a_visitor_without_a_session_still_gets_the_login_page(client, redis_down):
    """Nothing asks Redis before the login itself (whose limits then refuse with their own 503)."""
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.parametrize(
    "error", [redis.exceptions.ConnectionError("refused"), redis.exceptions.TimeoutError("Timeout reading")]
)
def test_redis_failing_inside_a_view_answers_the_503_page(rf, error):
    """The product's own cache calls degrade or refuse by themselves; anything else reaching Redis from a view (a
    library's cache use) ends at process_exception."""
    from portal.errors import StoreUnavailableMiddleware

    middleware = StoreUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(rf.get("/dossier/"), error)
    assert response.status_code == 503
    assert UNAVAILABLE_NL in response.content.decode()
    assert (
        middleware.process_exception(rf.get("/dossier/"), redis.exceptions.ResponseError("WRONGTYPE")) is None
    )


def test_redis_failing_at_the_end_of_a_request_still_answers_the_503_page(
    verified_client, settings, monkeypatch
):
    """The session written back after the view (the idle clock moved on) fails: Django's handler for uncaught
    errors answers, and its page is the 503 page, which reads no session, instead of an error page that fails too."""
    session = verified_client.session
    session[LAST_SEEN] = time.time() - 120  # the idle clock is written back on this request
    session.save()
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def save(self, must_create=False):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(store, "save", save)
    verified_client.raise_request_exception = False
    response = verified_client.get("/dossier/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 503
    assert UNAVAILABLE_NL in response.content.decode()


@pytest.mark.parametrize(
    "language, texts",
    [
        ("nl", ["Bestand te groot", "Dit bestand is te groot. Het maximum is 20,0\xa0MB."]),
        ("en", ["File too large", "This file is too large. The maximum is 20.0\xa0MB."]),
    ],
)
def test_the_upload_limit_page_nginx_shows_for_a_body_over_its_limit(client, language, texts):
    response = client.get("/upload-too-large/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 413
    content = response.content.decode()
    for text in texts:
        assert text in content
