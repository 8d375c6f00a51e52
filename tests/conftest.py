"""Shared fixtures: users, a real SMTP server on loopback, the outbox worker, a clean cache."""

import socket

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.cache import cache

from accounts.captcha import local_token
from core.mailer import mail_send_pending
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clean_cache():
    def clear():
        cache.clear()
        if settings.SESSION_ENGINE == "accounts.sessions_redis":  # sessions keep their own Redis database
            from accounts import sessions_redis

            sessions_redis.client().flushdb()

    clear()
    yield
    clear()


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


# ----------------------------------------------------------------------------------------------- second factor
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, offset_steps: int = 0) -> str:
    import time

    import pyotp

    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


@pytest.fixture
def enrolled_user(user):
    """The employee with a confirmed authenticator app (known secret) and ten recovery codes."""
    import base64

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from twofactor.services import recovery_codes_replace

    TOTPDevice.objects.create(user=user, name="app", key=base64.b32decode(TOTP_SECRET).hex(), confirmed=True)
    user.recovery_codes = recovery_codes_replace(user=user)
    return user


@pytest.fixture
def verify(password):
    """Both steps in a client: password, then the TOTP code (the next step's code if this one was used)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def _verify(client, user, next_path=None):
        data = {"username": user.email, "password": password}
        if next_path:
            data["next"] = next_path
        response = client.post("/accounts/login/", data)
        client.get(response["Location"])
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        offset = 1 if device.last_t >= int(__import__("time").time() // 30) else 0
        return client.post("/twofactor/verify/", {"token": totp_code(offset_steps=offset)})

    return _verify


@pytest.fixture
def verified_client(client, enrolled_user, verify):
    response = verify(client, enrolled_user)
    assert response.status_code == 302 and response["Location"] == "/dossier/", response
    assert client.session.get("otp_device_id", "").startswith("otp_totp.totpdevice/")
    return client


@pytest.fixture
def sms_outbox(settings, tmp_path):
    """The file gateway's messages, newest last."""
    settings.TWOFACTOR_SMS_GATEWAY = "file"
    settings.TWOFACTOR_SMS_FILE_PATH = tmp_path / "sms"

    class Outbox:
        def messages(self):
            folder = tmp_path / "sms"
            return [p.read_text() for p in sorted(folder.glob("*.txt"))] if folder.exists() else []

        def last_code(self):
            import re

            return re.search(r"\b(\d{6})\b", self.messages()[-1]).group(1)

    return Outbox()
