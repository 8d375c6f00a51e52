"""The outbox: a failing SMTP server delays a mail but never loses it; two workers never send one twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from core.mailer import mail_enqueue, mail_send_pending
from core.models import OutgoingEmail
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


def _queue(user, **kw):
    return mail_enqueue(
        to=user.email,
        template="accounts/email/password_changed",
        context={"user": user, "link": "https://portal.example.test/x"},
        language=kw.get("language", "nl"),
    )


def test_mailer_smtp_down_keeps_the_mail_pending_with_a_later_try(user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    queued = _queue(user)
    assert mail_send_pending() == 0
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.PENDING
    assert queued.attempts == 1
    assert queued.next_attempt_at > timezone.now()
    assert "ConnectionRefusedError" in queued.last_error
    assert queued.body_text  # nothing lost


def test_mailer_retries_when_due_and_the_server_is_back(user, smtp_server):
    queued = _queue(user)
    OutgoingEmail.objects.filter(pk=queued.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=1)
    )
    assert mail_send_pending() == 0  # not due yet
    OutgoingEmail.objects.filter(pk=queued.pk).update(next_attempt_at=timezone.now())
    assert mail_send_pending() == 1
    assert len(smtp_server.messages) == 1
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT and queued.attempts == 2


def test_mailer_gives_up_after_the_maximum_attempts(user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.MAIL_MAX_ATTEMPTS = 2
    queued = _queue(user)
    mail_send_pending()
    OutgoingEmail.objects.filter(pk=queued.pk).update(next_attempt_at=timezone.now())
    mail_send_pending()
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.FAILED


def test_mailer_sends_each_mail_once(user):
    _queue(user)
    _queue(user, language="en")
    assert mail_send_pending() == 2
    assert mail_send_pending() == 0
    assert len(mail.outbox) == 2
    assert {m.subject for m in mail.outbox} == {
        "Uw wachtwoord voor Verzuimportaal is gewijzigd",
        "Your Verzuimportaal password was changed",
    }


def test_mailer_on_commit_mode_sends_after_commit_only(user, settings, django_capture_on_commit_callbacks):
    settings.MAIL_DELIVERY = "on_commit"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _queue(user)
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1


def test_mailer_rolled_back_transaction_sends_nothing(user, settings):
    settings.MAIL_DELIVERY = "on_commit"
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue(user)
        raise RuntimeError
    assert OutgoingEmail.objects.count() == 0
    assert mail_send_pending() == 0


def test_send_notifications_command_drains_the_outbox(user, capsys):
    _queue(user)
    call_command("send_notifications")
    assert "sent 1" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_plain_text_parts_are_not_html_escaped(db):
    """A link with two query parameters and a name with an ampersand reach a text mail as typed (the HTML part
    escapes them)."""
    from core.mailer import mail_render
    from tests.factories import UserFactory

    user = UserFactory.build(first_name="Jan & Piet")
    subject, text, html = mail_render(
        template="accounts/email/password_changed",
        context={"user": user, "link": "https://portal.example/a/?next=%2Fx%2F&lang=nl"},
        language="nl",
    )
    assert "?next=%2Fx%2F&lang=nl" in text and "&amp;" not in text and "Jan & Piet" in text
    assert "&amp;lang=nl" in html


@pytest.mark.parametrize(
    "template",
    [
        "accounts/email/password_changed",
        "accounts/email/login_locked",
        "twofactor/email/reset_by_staff",
        "accounts/email/contact_changed",
    ],
)
def test_security_mails_say_whom_to_contact(db, settings, template):
    from core.mailer import mail_render
    from tests.factories import UserFactory

    settings.PORTAL_CONTACT_PHONE, settings.PORTAL_CONTACT_EMAIL = "088-1234567", "helpdesk@arbo.example"
    _subject, text, _html = mail_render(
        template=template,
        language="nl",
        context={
            "user": UserFactory.build(),
            "link": "https://portal.example/",
            "days": 7,
            "email_changed": True,
        },
    )
    assert "088-1234567" in text and "helpdesk@arbo.example" in text


class StopOnThirdBackend(LocmemBackend):
    """A worker stopped while it sends its third mail (SIGTERM in a deploy): the send never returns."""

    def send_messages(self, messages):
        if len(mail.outbox) == 2:
            raise SystemExit("stopped mid-batch")
        return super().send_messages(messages)


def test_a_worker_stopped_mid_batch_sends_nothing_twice(user, settings):
    settings.EMAIL_BACKEND = "tests.core.test_mailer.StopOnThirdBackend"
    for n in range(5):
        mail_enqueue(
            to=f"m{n}@example.nl",
            template="accounts/email/password_changed",
            context={"user": user, "link": "https://portal.example.test/x"},
            language="nl",
        )
    with pytest.raises(SystemExit):
        mail_send_pending()
    assert len(mail.outbox) == 2
    assert (
        OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count() == 2
    )  # marked as they went out
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_send_pending() == 3  # the next worker sends the three that were left, and only those
    assert sorted(m.to[0] for m in mail.outbox) == [f"m{n}@example.nl" for n in range(5)]
