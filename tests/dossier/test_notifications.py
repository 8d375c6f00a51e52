"""The "a document is ready" mail: transactional outbox, real SMTP on loopback, nothing lost, nothing twice."""

import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.mailer import mail_send_pending
from core.models import OutgoingEmail
from dossier.models import Document
from tests.conftest import free_port
from tests.factories import document_for, pdf_bytes

pytestmark = pytest.mark.django_db


def test_document_queues_its_mail_in_the_same_transaction(world):
    document = document_for(world.a, title="Probleemanalyse burn-out")
    mail = OutgoingEmail.objects.get(reference=f"document:{document.pk}")
    assert mail.to == world.a.email and mail.status == "pending"


def test_notification_goes_through_real_smtp_with_the_link_and_no_title(world, smtp_server):
    document = document_for(world.a, title="Probleemanalyse burn-out", category="probleemanalyse")
    assert mail_send_pending() == 1
    (envelope,) = smtp_server.messages
    text = envelope.content.decode()
    assert envelope.rcpt_tos == [world.a.email]
    link = f"https://portal.example.test/accounts/login/?next=%2Fdossier%2Fdocuments%2F{document.pk}%2F"
    assert link in text
    for secret in ("burn-out", "Probleemanalyse", "probleemanalyse", "Plan"):
        assert secret not in text
    assert "Er staat een nieuw document voor u klaar" in text


def test_notification_is_in_the_employees_language(world, smtp_server):
    world.a.language = "en"
    world.a.save()
    document_for(world.a)
    mail_send_pending()
    assert "A new document is ready for you" in smtp_server.messages[0].content.decode()


def test_upload_succeeds_with_smtp_down_and_the_mail_goes_once_when_it_is_back(world, client_for, settings):
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    client = client_for(world.hr_x)
    response = client.post(
        "/admin/dossier/document/add/",
        {
            "employee": world.a.pk,
            "category": "overig",
            "title": "Tijdens storing",
            "upload": SimpleUploadedFile("x.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    assert response.status_code == 302  # the uploader sees success
    document = Document.objects.get(title="Tijdens storing")
    queued = OutgoingEmail.objects.get(reference=f"document:{document.pk}")
    mail_send_pending()  # what the portal tries right after commit
    queued.refresh_from_db()
    assert queued.status == "pending" and queued.attempts >= 1

    from aiosmtpd.controller import Controller

    from tests.conftest import _Recorder

    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        OutgoingEmail.objects.filter(pk=queued.pk).update(next_attempt_at=queued.created_at)
        call_command("send_notifications")
        call_command("send_notifications")
    finally:
        controller.stop()
    assert len(recorder.messages) == 1
    queued.refresh_from_db()
    assert queued.status == "sent"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")
def test_two_workers_at_once_never_send_a_mail_twice(smtp_server):
    from tests.factories import UserFactory

    user = UserFactory()
    from core.mailer import mail_enqueue

    for n in range(60):
        mail_enqueue(
            to=f"w{n}@example.nl",
            template="accounts/email/password_changed",
            context={"user": user, "link": "https://portal.example.test/"},
            language="nl",
        )
    results = []

    def worker():
        from django.db import connections

        try:
            while sent := mail_send_pending(limit=5):
                results.append(sent)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    recipients = [rcpt for envelope in smtp_server.messages for rcpt in envelope.rcpt_tos]
    assert sum(results) == 60
    assert len(recipients) == 60 == len(set(recipients))
    assert not OutgoingEmail.objects.filter(status="pending").exists()


def test_mail_link_text_has_no_category_label(world, deliver_mail):
    from django.core import mail

    document_for(world.a, title="Uitnodiging", category="uitnodiging_bedrijfsarts")
    deliver_mail()
    message = mail.outbox[-1]
    assert "bedrijfsarts" not in message.body.lower() and "bedrijfsarts" not in message.subject.lower()
    assert re.search(r"/accounts/login/\?next=%2Fdossier%2Fdocuments%2F[0-9a-f-]{36}%2F", message.body)
