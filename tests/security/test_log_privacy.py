"""No e-mail address, link token or birth date in any log line: the flows that handle them, logged as in production.

Every line the portal writes during a failed login, a password reset request and an invitation (sent, opened, a
wrong birth date, the reset mail delivered) is captured from the configured console handler, with its filters, as
JSON at DEBUG level, and searched for the addresses, the tokens and the birth date in every spelling.
"""

import io
import json
import logging
import re
from contextlib import contextmanager
from urllib.parse import quote

import pytest

from accounts import services
from core import audit, logs
from core.models import AuditEvent, OutgoingEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BIRTH_DATES = ("04-07-1985", "1985-07-04", "05-07-1985", "1985-07-05", "1985")
UNKNOWN = "niet.bekend@example.nl"


@contextmanager
def production_log():
    """The root console handler (LOGGING's, with its request-id and redaction filters) writing JSON into a buffer,
    everything from DEBUG up."""
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if h.name == "console"]
    buffer, level, formatter = io.StringIO(), root.level, handler.formatter
    stream = handler.setStream(buffer)
    handler.setFormatter(logs.JsonLineFormatter())
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.setLevel(level)
        handler.setFormatter(formatter)
        handler.setStream(stream)


def _link(mail: OutgoingEmail, kind: str) -> str:
    return re.search(rf"https?://[^/\s]+(/accounts/{kind}/\S+/)", mail.body_text).group(1)


def test_failed_login_reset_and_invitation_leave_no_personal_data_in_the_log(client, captcha, deliver_mail):
    user = UserFactory(email="jan.jansen@example.nl")
    invitee = UserFactory(email="nina.nieuw@example.nl")
    invitee.set_unusable_password()
    invitee.save(update_fields=["password"])
    with production_log() as buffer:
        client.post("/accounts/login/", {"username": user.email, "password": "fout-wachtwoord"})
        client.post("/accounts/login/", {"username": UNKNOWN, "password": "fout-wachtwoord"})
        client.get(f"/accounts/password-reset/?email={quote(UNKNOWN)}")
        for birth_date in ("04-07-1985", "05-07-1985"):
            client.post(
                "/accounts/password-reset/",
                {"birth_date": birth_date, "email": user.email, "g-recaptcha-response": captcha()},
            )
        reset = _link(OutgoingEmail.objects.get(to=user.email, kind="password_reset"), "reset")
        assert services.invitation_send(user=invitee, actor=None, ip="203.0.113.7")
        activation = _link(OutgoingEmail.objects.get(to=invitee.email, kind="invitation"), "activate")
        deliver_mail()
        form = client.get(activation)["Location"]
        client.post(form, {"birth_date": "05-07-1985", "new_password1": "x" * 12, "new_password2": "x" * 12})
        client.get(reset + "no-such-page/")  # a 404 that Django logs with its path
    text = buffer.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]

    # The flows did log: the audit events and Django's 404, with the request id of their request.
    events = [line for line in lines if line["logger"] == "portal.audit"]
    assert {"login_failure", "password_reset_requested", "invitation_sent", "activation_failed"} <= {
        re.search(r"event=(\w+)", line["message"]).group(1) for line in events
    }
    assert all(
        re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in events if "login_" in line["message"]
    )
    assert any(
        line["logger"] == "django.request" and "/accounts/reset/[redacted]" in line["message"]
        for line in lines
    )
    # The audit rows keep the typed address for staff; the log lines only its key.
    assert AuditEvent.objects.filter(email=UNKNOWN).exists()
    assert f"email_key={audit.email_key(UNKNOWN)}" in text

    for address in (user.email, invitee.email, UNKNOWN):
        assert address not in text and quote(address) not in text and address.split("@")[0] not in text
    assert not logs.EMAIL.search(text)
    for token_path in (reset, activation):
        assert token_path.split("/")[4] not in text
    assert not re.search(r"/accounts/(reset|activate)/(?!\[redacted\])", text)
    for birth_date in BIRTH_DATES:
        assert birth_date not in text
