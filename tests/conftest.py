"""Shared fixtures: users, a real SMTP server on loopback, the outbox worker, a clean cache."""

import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache

from accounts.captcha import local_token
from accounts.mailer import mail_send_pending
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture
def user(user_factory):
    return user_factory(email="jan.jansen@example.nl")


@pytest.fixture
def captcha():
    """A fresh value of the local "Ik ben geen robot" checkbox."""
    return local_token


@pytest.fixture
def deliver_mail():
    """Run the outbox worker once, as `send_notifications` does."""
    return lambda: mail_send_pending()


@pytest.fixture
def login(client, password):
    def _login(user, **extra):
        return client.post("/accounts/login/", {"username": user.email, "password": password, **extra})

    return _login


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; the portal's SMTP back end talks to it."""
    handler = _Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()
