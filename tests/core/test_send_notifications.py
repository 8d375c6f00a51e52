"""The mail worker (`send_notifications --loop`) as a process: SIGTERM mid-batch, as a deploy sends it, finishes the
mail being sent, marks it sent and exits; the rest stays pending and no mail reaches the server twice."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from core.mailer import mail_enqueue, mail_send_pending
from core.models import OutgoingEmail
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
MAILS = 10
SLOW = 3  # the mail the server takes its time over; SIGTERM arrives while it waits


class _SlowRecorder:
    """Takes a mail, then waits before saying 250 to the third: the worker is inside a send when it is stopped."""

    def __init__(self):
        self.recipients: list[str] = []
        self.in_slow_send = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.recipients.extend(envelope.rcpt_tos)
        if len(self.recipients) == SLOW:
            self.in_slow_send.set()
            await asyncio.sleep(1.5)
        return "250 OK"


def _database_env(tmp_path) -> dict:
    """The worker process reads the test database: SQLite's file, or PostgreSQL by its parts."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"DATABASE_URL": f"sqlite:///{db['NAME']}"}
    return {
        "DATABASE_URL": "",
        "DATABASE_HOST": db["HOST"] or "localhost",
        "DATABASE_PORT": str(db["PORT"] or 5432),
        "DATABASE_NAME": db["NAME"],
        "DATABASE_USER": db["USER"],
        "DATABASE_PASSWORD": db["PASSWORD"] or "",
    }


@pytest.mark.django_db(transaction=True)  # the worker process must see the queued rows
def test_send_notifications_stopped_by_sigterm_mid_batch_finishes_the_mail_at_hand_and_sends_none_twice(
    user, tmp_path, settings
):
    for n in range(MAILS):
        mail_enqueue(
            to=f"m{n}@example.nl",
            template="accounts/email/password_changed",
            context={"user": user, "link": "https://portal.example.test/x"},
            language="nl",
        )
    handler = _SlowRecorder()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO", "DATABASE_", "EMAIL_", "REDIS_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "DEBUG": "1",
            "DEV_APPS": "0",
            "VAR_DIR": str(tmp_path),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            **_database_env(tmp_path),
        }
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "send_notifications", "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert handler.in_slow_send.wait(60), worker.communicate(timeout=5)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    try:
        assert worker.returncode == 0, err[-2000:]
        assert "sent 3 (stopped)" in out
        sent = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT)
        # The mail the server had when SIGTERM came was finished and marked: what arrived is exactly what is marked.
        assert sorted(handler.recipients) == sorted(sent.values_list("to", flat=True))
        assert len(handler.recipients) == SLOW
        assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).count() == MAILS - SLOW
        # The next worker sends the rest, and only the rest.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp.port, False
        assert mail_send_pending() == MAILS - SLOW
    finally:
        smtp.stop()
    assert sorted(handler.recipients) == sorted(f"m{n}@example.nl" for n in range(MAILS))
