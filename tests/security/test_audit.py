"""Audit events: every security event, append-only, read-only for provider staff, no secrets, no forged lines."""

import logging
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.events import Event
from core import audit
from core.models import AuditEvent
from dossier.models import AccessLog
from tests.factories import document_for

pytestmark = pytest.mark.django_db


def test_a_whole_journey_leaves_its_events(client, enrolled_user, verify, password, captcha):
    from tests.conftest import totp_code

    client.post("/accounts/login/", {"username": enrolled_user.email, "password": "fout-wachtwoord"})
    verify(client, enrolled_user)
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    client.post("/twofactor/verify/", {"token": "000000"})
    client.post("/accounts/logout/")
    client.post(
        "/accounts/password-reset/",
        {"birth_date": "04-07-1985", "email": enrolled_user.email, "g-recaptcha-response": captcha()},
    )
    kinds = list(AuditEvent.objects.order_by("pk").values_list("kind", flat=True))
    for kind in (
        "login_failure",
        "login_success",
        "otp_success",
        "logout",
        "otp_failure",
        "password_reset_requested",
    ):
        assert kind in kinds, kind
    assert totp_code()  # codes exist; none of them is stored:
    stored = " ".join(f"{e.email} {e.detail}" for e in AuditEvent.objects.all())
    assert password not in stored and "fout-wachtwoord" not in stored and "1985" not in stored


def test_enrolment_reset_and_staff_reset_are_audited(enrolled_user, user_factory):
    from twofactor.services import twofactor_reset_by_staff

    staff = user_factory(is_staff=True, is_superuser=True)
    twofactor_reset_by_staff(user=enrolled_user, actor=staff)
    event = AuditEvent.objects.get(kind="staff_otp_reset")
    assert event.user == enrolled_user and event.actor == staff


def test_document_views_and_downloads_leave_one_access_log_row_each_and_no_audit_row(world, client_for):
    """The access log is the NEN 7513 record of a view; an audit row beside it would count the same event twice."""
    document = document_for(world.a)
    client = client_for(world.a)
    client.get(f"/dossier/documents/{document.pk}/")
    client.get(f"/dossier/documents/{document.pk}/file/?download=1")
    assert list(
        AccessLog.objects.filter(document=document).order_by("pk").values_list("action", flat=True)
    ) == [
        AccessLog.Action.VIEW_DOCUMENT_PAGE,
        AccessLog.Action.DOWNLOAD_DOCUMENT,
    ]
    assert not AuditEvent.objects.filter(detail=str(document.pk)).exists()


def test_a_refused_document_request_is_audited(world, client_for):
    document = document_for(world.a)
    client_for(world.b).get(f"/dossier/documents/{document.pk}/")
    event = AuditEvent.objects.get(kind="document_denied")
    assert event.actor == world.b and str(document.pk) in event.detail
    assert not AccessLog.objects.filter(document=document).exists()


def test_a_value_with_line_breaks_cannot_forge_a_log_line(caplog, db):
    forged = "x@example.nl\n2026-11-25 audit event=login_success user=1"
    with caplog.at_level(logging.INFO, logger="portal.audit"):
        event = audit.record(Event.LOGIN_FAILURE, email=forged)
    assert "\n" not in event.email and "\\n" in event.email
    (record,) = [r for r in caplog.records if r.name == "portal.audit"]
    assert "\n" not in record.getMessage()


def test_the_log_line_keys_the_address_that_the_row_keeps(caplog, db):
    with caplog.at_level(logging.INFO, logger="portal.audit"):
        event = audit.record(Event.LOGIN_FAILURE, email="Anna.de.Vries@example.nl", ip="203.0.113.9")
        audit.record(Event.LOGIN_FAILURE, email="anna.de.vries@example.nl ")
        audit.record(Event.LOGIN_FAILURE, email="bob@example.nl")
    assert event.email == "Anna.de.Vries@example.nl"  # staff read the typed address in the Web Portaal
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.audit"]
    keys = [re.search(r"email_key=(\w+)", line).group(1) for line in lines]
    assert keys[0] == keys[1] != keys[2] and len(keys[0]) == 12  # one account's failures can be followed
    assert not any("example.nl" in line or "anna" in line.lower() for line in lines)


def test_audit_events_are_append_only(db):
    event = audit.record(Event.LOGOUT)
    event.detail = "anders"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_audit_events_are_read_only_for_provider_staff_and_hidden_from_hr(world, client_for):
    event = audit.record(Event.LOGOUT, user=world.a)
    staff = client_for(world.case_manager)
    assert staff.get("/admin/core/auditevent/").status_code == 200
    assert staff.get("/admin/core/auditevent/add/").status_code == 403
    assert staff.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client_for(world.hr_x).get("/admin/core/auditevent/").status_code == 403


def test_prune_keeps_two_years_and_removes_what_is_older(world, settings):
    settings.AUDIT_RETENTION_DAYS = 730
    old, recent = audit.record(Event.LOGOUT), audit.record(Event.LOGOUT)
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=731))
    AuditEvent.objects.filter(pk=recent.pk).update(at=timezone.now() - timedelta(days=700))
    from dossier import services

    log = services.access_log_record(actor=world.a, subject=world.a, action="view_dossier", ip=None)
    AccessLog.objects.filter(pk=log.pk).update(at=timezone.now() - timedelta(days=800))
    settings.AUDIT_RETENTION_DAYS = 30  # a too short setting is never honoured
    call_command("prune_audit")
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert not AccessLog.objects.filter(pk=log.pk).exists()


def test_prune_never_removes_an_employees_response_with_the_logs(world, settings, documents_dir):
    """A response (the employee's agreement or own view, with its attachment) is dossier content: its retention
    follows the dossier, not the log's 730 days, so neither prune_audit nor the sweep after it removes it."""
    import uuid

    from django.core.files.base import ContentFile

    from dossier.models import Response
    from dossier.responses import response_create
    from tests.factories import document_for, pdf_bytes

    document = document_for(world.a, title="Plan van aanpak")
    attachment = ContentFile(pdf_bytes("bijlage"), name="b.pdf")
    response, _ = response_create(
        document=document,
        author=world.a,
        agreement="agree",
        own_view="Akkoord.",
        submission=uuid.uuid4(),
        upload=attachment,
    )
    Response.objects.filter(pk=response.pk).update(at=timezone.now() - timedelta(days=2000))
    call_command("prune_audit")
    call_command("documents_sweep")
    response = Response.objects.get(pk=response.pk)
    assert response.file and (documents_dir / response.file.name).exists()


def test_every_second_factor_event_records_the_client_ip(client, login, user, password):
    """Enrolment, failure, throttling, success and re-authentication limits: each row carries the address."""
    import re as _re

    import pyotp

    from twofactor.services import REAUTH_LIMIT

    login(user)
    page = client.get("/twofactor/setup/app/").content.decode()
    secret = _re.search(r"[A-Z2-7]{4}(?: [A-Z2-7]{4}){7}", page).group(0).replace(" ", "")
    client.post("/twofactor/setup/app/", {"token": pyotp.TOTP(secret).now()})
    client.post("/twofactor/recovery-codes/")
    client.post("/accounts/logout/")
    login(user)
    client.post("/twofactor/verify/", {"token": "000000"}, REMOTE_ADDR="127.0.0.1")  # failure
    client.post("/twofactor/verify/", {"token": "111111"})  # throttled (one failure slows the device)
    for _ in range(REAUTH_LIMIT[0] + 1):
        client.post("/account/settings/reauth/", {"password": "fout", "token": "000000"})
    kinds = {}
    for event in AuditEvent.objects.filter(user=user).exclude(kind__in=["login_success", "logout"]):
        kinds.setdefault(event.kind, set()).add(event.ip)
    assert kinds.get("otp_enrolled") == {"127.0.0.1"}
    assert kinds.get("otp_failure") == {"127.0.0.1"}
    assert kinds.get("limit_reached") == {"127.0.0.1"}
    assert None not in set().union(*kinds.values()), kinds


def test_a_reset_of_ones_own_method_records_the_ip(verified_client, enrolled_user, password):
    from tests.conftest import totp_code

    verified_client.post(
        "/account/settings/reauth/?next=/account/settings/reset/",
        {"password": password, "token": enrolled_user.recovery_codes[0]},
    )
    verified_client.post("/account/settings/reset/")
    page = verified_client.get("/twofactor/setup/app/").content.decode()
    assert totp_code()
    import re as _re

    import pyotp

    secret = _re.search(r"[A-Z2-7]{4}(?: [A-Z2-7]{4}){7}", page).group(0).replace(" ", "")
    verified_client.post("/twofactor/setup/app/", {"token": pyotp.TOTP(secret).now()})
    event = AuditEvent.objects.get(kind="otp_reset", user=enrolled_user)
    assert event.ip == "127.0.0.1"
    assert (
        AuditEvent.objects.filter(kind="otp_success", user=enrolled_user).exclude(ip="127.0.0.1").count() == 0
    )
