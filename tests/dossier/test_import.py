"""HR's bulk import of employees (issue 11, dossier/imports.py): preview and confirmation through the real Web
Portaal views, all or nothing, one employer only (account_rules rule 7), formulas stay text, mails after commit."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.events import Event as AccountEvent
from accounts.models import User
from core.models import AuditEvent, OutgoingEmail
from dossier.events import ImportEvent
from dossier.imports import SESSION_FILE_KEY
from dossier.models import Employment
from tests.factories import EmploymentFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT = "/admin/accounts/user/import/"
CONFIRM = "/admin/accounts/user/process_import/"
CSV, XLSX = "0", "1"  # the format choices, in EmployeeImportAdminMixin.import_formats' order

HEADER = "email;voornaam;achternaam;geboortedatum;mobiel;personeelsnummer;functie"
GOOD = [
    "nina@example.nl;Nina;Nieuw;17-02-1988;0612345678;P-100;Verpleegkundige",
    "olaf@example.nl;Olaf;Oud;1970-01-31;+31 6 87654321;P-101;Kok",
]


def _csv(*rows, header=HEADER) -> SimpleUploadedFile:
    return SimpleUploadedFile("medewerkers.csv", "\n".join([header, *rows]).encode(), content_type="text/csv")


def _xlsx(*rows) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("medewerkers.xlsx", buffer.getvalue())


def _preview(client, employer, upload, fmt=CSV):
    return client.post(
        IMPORT, {"employer": employer.pk, "format": fmt, "resource": "0", "import_file": upload}
    )


def _confirm(client, preview, **changed):
    """Post the preview's confirmation form back, with any hidden field changed as an attacker would."""
    form = preview.context["confirm_form"]
    return client.post(CONFIRM, {**{name: form.initial.get(name, "") for name in form.fields}, **changed})


def _errors(response) -> list[str]:
    rows = response.context["result"].invalid_rows
    return [message for row in rows for messages in row.error_dict.values() for message in messages]


# ----------------------------------------------------------------------------------------------- the happy path
def test_hr_previews_then_confirms_and_each_new_employee_is_invited(world, client_for):
    client = client_for(world.hr_x)
    preview = _preview(client, world.x, _csv(*GOOD))
    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    assert not User.objects.filter(email="nina@example.nl").exists()  # the preview saved nothing
    assert not OutgoingEmail.objects.filter(kind="invitation").exists()
    assert b"Nina" in preview.content and b"17-02-1988" in preview.content

    response = _confirm(client, preview)
    assert response.status_code == 302 and response["Location"] == "/admin/accounts/user/"
    nina = User.objects.get(email="nina@example.nl")
    olaf = User.objects.get(email="olaf@example.nl")
    assert not nina.has_usable_password() and not nina.is_staff
    assert str(nina.birth_date) == "1988-02-17" and str(olaf.birth_date) == "1970-01-31"
    assert str(nina.mobile) == "+31612345678" and str(olaf.mobile) == "+31687654321"  # normalised
    employment = Employment.objects.get(user=nina)
    assert (employment.employer, employment.personnel_number, employment.job_title) == (
        world.x,
        "P-100",
        "Verpleegkundige",
    )
    assert set(OutgoingEmail.objects.filter(kind="invitation").values_list("to", flat=True)) == {
        "nina@example.nl",
        "olaf@example.nl",
    }
    for user in (nina, olaf):  # the same audit trail as the admin's add form
        assert AuditEvent.objects.filter(
            kind=AccountEvent.ACCOUNT_CREATED, user=user, actor=world.hr_x
        ).exists()
        assert AuditEvent.objects.filter(
            kind=AccountEvent.INVITATION_SENT, user=user, actor=world.hr_x
        ).exists()
    event = AuditEvent.objects.get(kind=ImportEvent.EMPLOYEES_IMPORTED)
    assert event.actor == world.hr_x and event.ip == "127.0.0.1" and event.detail.startswith("2 employees")


def test_xlsx_with_date_cells_and_numbers_is_imported_like_csv(world, client_for):
    import datetime

    client = client_for(world.hr_x)
    upload = _xlsx(
        ["E-mail", "Voornaam", "Achternaam", "Geboortedatum", "Mobiel", "Personeelsnummer", "Functie"],
        ["Nina@Example.nl", "Nina", "Nieuw", datetime.datetime(1988, 2, 17), 612345678, 100, "Kok"],
    )
    preview = _preview(client, world.x, upload, fmt=XLSX)
    assert preview.context["confirm_form"] is not None, _errors(preview)
    assert _confirm(client, preview).status_code == 302
    nina = User.objects.get(email="nina@example.nl")
    assert str(nina.birth_date) == "1988-02-17" and str(nina.mobile) == "+31612345678"
    assert nina.employment.personnel_number == "100"


def test_empty_lines_at_the_end_are_not_rows(world, client_for):
    client = client_for(world.hr_x)
    preview = _preview(client, world.x, _csv(*GOOD, ";;;;;;", "", ";;;;;;"))
    assert preview.context["confirm_form"] is not None, _errors(preview)
    _confirm(client, preview)
    assert User.objects.filter(email__in=["nina@example.nl", "olaf@example.nl"]).count() == 2


def test_a_comma_separated_file_in_windows_1252_is_read(world, client_for):
    client = client_for(world.hr_x)
    content = "email,voornaam,achternaam,geboortedatum\nrene@example.nl,René,Müller,01-02-1990\n".encode(
        "cp1252"
    )
    preview = _preview(client, world.x, SimpleUploadedFile("m.csv", content))
    assert preview.context["confirm_form"] is not None, _errors(preview)
    _confirm(client, preview)
    assert User.objects.get(email="rene@example.nl").first_name == "René"


def test_invitation_mails_are_delivered_only_after_commit(world, client_for, smtp_server, settings):
    settings.CORE_MAIL_DELIVERY = "on_commit"
    client = client_for(world.hr_x)
    preview = _preview(client, world.x, _csv(*GOOD))
    assert smtp_server.messages == []  # the preview is rolled back: nothing queued, nothing sent
    _confirm(client, preview)
    from core.mailer import mail_send_pending

    mail_send_pending()  # the worker, for whatever the after-commit send left pending
    recipients = sorted(r for envelope in smtp_server.messages for r in envelope.rcpt_tos)
    assert recipients == ["nina@example.nl", "olaf@example.nl"]
    body = smtp_server.messages[0].content.decode()
    assert re.search(r"/accounts/activate/", body)


# ----------------------------------------------------------------------------------------------- bad input
def test_one_bad_row_saves_nothing_and_every_error_names_row_and_column(world, client_for):
    client = client_for(world.hr_x)
    translation.activate("nl")
    client.cookies["django_language"] = "nl"
    preview = _preview(
        client,
        world.x,
        _csv(
            *GOOD,
            "piet@example.nl;Piet;Puk;31-02-1990;0612345678;P-102;Kok",  # row 3: no such date
            "kees@example.nl;Kees;Kaas;01-01-1980;12345;P-103;Kok",  # row 4: not a phone number
            "nina@example.nl;Nina;Dubbel;01-01-1980;;P-104;Kok",  # row 5: same email as row 1
            "a@example.nl;Anna;Al;01-01-1980;;P-105;Kok",  # row 6: an employee of this employer already
            "c@example.nl;Cor;Ander;01-01-1980;;P-106;Kok",  # row 7: an employee of ANOTHER employer
            "geen-email;Xander;X;01-01-1980;;P-100;Kok",  # row 8: bad email, personnel number of row 1
        ),
    )
    assert preview.status_code == 200 and preview.context.get("confirm_form") is None
    errors = _errors(preview)
    assert (
        "Rij 3, kolom “geboortedatum”: vul de datum in als dag-maand-jaar, bijvoorbeeld 17-02-1988." in errors
    )
    assert any(e.startswith("Rij 4, kolom “mobiel”") for e in errors)
    assert "Rij 5, kolom “email”: dit e-mailadres staat ook in rij 1." in errors
    assert any(e.startswith("Rij 6, kolom “email”: er bestaat al een medewerker") for e in errors)
    assert any(e.startswith("Rij 8, kolom “email”") for e in errors)
    assert any(e.startswith("Rij 8, kolom “personeelsnummer”") for e in errors)
    # another employer's employee: answered as an unused address would be (no error at all), so nothing tells
    # whether it exists ...
    assert not [e for e in errors if e.startswith("Rij 7")]
    # ... and trying such an address is audited with the address, although the preview itself was rolled back
    probe = AuditEvent.objects.get(kind=ImportEvent.IMPORT_HIDDEN_ADDRESSES)
    assert (probe.actor, probe.ip, probe.email) == (world.hr_x, "127.0.0.1", "c@example.nl")
    assert User.objects.filter(email__in=["nina@example.nl", "olaf@example.nl"]).count() == 0
    assert not OutgoingEmail.objects.exists()


def _page_words(response) -> str:
    """What a person reads: the page without its random values (CSRF token, nonces) and with the preview's rows."""
    return re.sub(r'(value|nonce)="[^"]*"', "", response.content.decode())


def test_an_address_of_an_account_out_of_scope_is_answered_as_an_unused_one_and_held(world, client_for):
    """Rule 7: HR of X names Cor (employee of Y) and an unused address. The preview and the confirmation read the
    same for both; Cor's row is held (his account untouched, no employment at X, no mail), audited with the address."""
    cor_before = User.objects.values().get(pk=world.c.pk)
    answers = {}
    for address in ("c@example.nl", "onbekend@example.nl"):
        client = client_for(
            world.hr_x
        )  # a fresh browser each: no message of the first import on the second page
        preview = _preview(client, world.x, _csv(f"{address};Cor;Ander;01-01-1980;;P-200;Kok"))
        assert preview.context["confirm_form"] is not None, _errors(preview)
        page = _page_words(preview).replace(address, "ADRES")
        page = re.sub(r"[0-9a-f]{32}", "FILE", page)  # the stored file's random name
        answers[address] = page
        confirmed = _confirm(client, preview)
        assert confirmed.status_code == 302
        answers[address + " confirmed"] = [str(m) for m in confirmed.wsgi_request._messages]
    assert answers["c@example.nl"] == answers["onbekend@example.nl"]
    assert answers["c@example.nl confirmed"] == answers["onbekend@example.nl confirmed"]
    assert User.objects.values().get(pk=world.c.pk) == cor_before
    assert not Employment.objects.filter(user=world.c, employer=world.x).exists()
    assert not OutgoingEmail.objects.filter(to="c@example.nl").exists()
    assert User.objects.filter(email="onbekend@example.nl", employment__employer=world.x).exists()
    probes = AuditEvent.objects.filter(kind=ImportEvent.IMPORT_HIDDEN_ADDRESSES)
    assert [(p.actor, p.email) for p in probes] == [
        (world.hr_x, "c@example.nl")
    ] * 2  # preview and confirmation
    imported = AuditEvent.objects.filter(kind=ImportEvent.EMPLOYEES_IMPORTED).order_by("pk")
    assert [e.detail.split(" ")[0] for e in imported] == [
        "0",
        "1",
    ]  # what was really created, for the provider


def test_confirming_after_the_data_changed_saves_nothing(world, client_for):
    """Between preview and confirmation someone took an address: the confirmation fails as a whole."""
    client = client_for(world.hr_x)
    preview = _preview(client, world.x, _csv(*GOOD))
    EmploymentFactory(employer=world.x, user=UserFactory(email="olaf@example.nl"))
    response = _confirm(client, preview)
    assert response.status_code == 200
    assert not User.objects.filter(email="nina@example.nl").exists()
    assert not OutgoingEmail.objects.filter(kind="invitation").exists()
    assert not AuditEvent.objects.filter(kind=ImportEvent.EMPLOYEES_IMPORTED).exists()


def test_formulas_are_stored_as_text(world, client_for):
    client = client_for(world.hr_x)
    formula = "=cmd|' /C calc'!A0"
    preview = _preview(client, world.x, _csv(f"nina@example.nl;{formula};+SUM(1);17-02-1988;;@A1;-2+3"))
    assert preview.context["confirm_form"] is not None, _errors(preview)
    _confirm(client, preview)
    nina = User.objects.get(email="nina@example.nl")
    assert (nina.first_name, nina.last_name) == (formula, "+SUM(1)")
    assert (nina.employment.personnel_number, nina.employment.job_title) == ("@A1", "-2+3")


def test_missing_columns_refuse_the_file_as_a_whole(world, client_for):
    client = client_for(world.hr_x)
    preview = _preview(client, world.x, _csv("nina@example.nl;Nina", header="email;voornaam"))
    assert preview.context.get("confirm_form") is None
    assert b"achternaam, geboortedatum" in preview.content
    assert b"Traceback" not in preview.content
    assert not User.objects.filter(email="nina@example.nl").exists()


def test_a_row_naming_another_employer_is_an_error(world, client_for):
    client = client_for(world.hr_x)
    preview = _preview(
        client,
        world.x,
        _csv(
            "nina@example.nl;Nina;Nieuw;17-02-1988;Werkgever Y",
            header="email;voornaam;achternaam;geboortedatum;werkgever",
        ),
    )
    assert any("werkgever" in e for e in _errors(preview))


# ----------------------------------------------------------------------------------------------- who may import
def test_hr_of_x_cannot_import_into_y(world, client_for):
    client = client_for(world.hr_x)
    response = _preview(client, world.y, _csv(*GOOD))
    assert response.status_code == 200 and response.context.get("confirm_form") is None
    assert "employer" in response.context["form"].errors
    assert not User.objects.filter(email="nina@example.nl").exists()
    assert AuditEvent.objects.filter(kind=ImportEvent.IMPORT_REFUSED, actor=world.hr_x).exists()


def test_hr_of_x_cannot_confirm_a_preview_for_y(world, client_for):
    """Preview for X, then change the hidden employer to Y on the confirmation: refused as a whole."""
    client = client_for(world.hr_x)
    preview = _preview(client, world.x, _csv(*GOOD))
    response = _confirm(client, preview, employer=world.y.pk)
    assert response.status_code == 200
    assert not User.objects.filter(email="nina@example.nl").exists()
    assert not Employment.objects.filter(employer=world.y, personnel_number="P-100").exists()


def test_only_the_file_of_this_session_can_be_confirmed(world, client_for):
    """Another user's stored upload (its name guessed or seen) cannot be confirmed into one's own employer."""
    other = client_for(world.case_manager)
    preview = _preview(other, world.y, _csv(*GOOD))
    theirs = preview.context["confirm_form"].initial["import_file_name"]
    client = client_for(world.hr_x)
    response = client.post(
        CONFIRM,
        {
            "import_file_name": theirs,
            "original_file_name": "m.csv",
            "format": CSV,
            "resource": "0",
            "employer": world.x.pk,
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="nina@example.nl").exists()
    assert SESSION_FILE_KEY not in client.session


def test_case_manager_imports_for_any_employer(world, client_for):
    client = client_for(world.case_manager)
    preview = _preview(client, world.y, _csv(*GOOD))
    _confirm(client, preview)
    assert User.objects.get(email="nina@example.nl").employment.employer == world.y


@pytest.mark.parametrize("who", ["a", "hr_without_right"])
def test_roles_without_the_right_get_403_and_no_button(world, client_for, who):
    if who == "hr_without_right":
        user = UserFactory(email="hr2@x.nl", is_staff=True)
        EmploymentFactory(employer=world.x, user=user)
        from django.contrib.auth.models import Permission

        user.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
        from tests.dossier.conftest import _with_app

        _with_app(user)
        client = client_for(user)
        assert b"/admin/accounts/user/import/" not in client.get("/admin/accounts/user/").content
        assert client.get(IMPORT).status_code == 403
        assert client.post(CONFIRM, {}).status_code == 403
    else:
        client = client_for(world.a)  # an employee: not staff, never in the Web Portaal
        assert client.get(IMPORT).status_code == 302


def test_hr_sees_the_import_button_and_page(world, client_for):
    client = client_for(world.hr_x)
    assert b"/admin/accounts/user/import/" in client.get("/admin/accounts/user/").content
    page = client.get(IMPORT)
    assert page.status_code == 200
    assert list(page.context["form"].fields["employer"].queryset) == [world.x]


def test_a_preview_for_one_employer_cannot_be_confirmed_for_another(world, client_for):
    """Provider staff may import for X and Y, but the file previewed for X is confirmed for X only."""
    client = client_for(world.case_manager)
    preview = _preview(client, world.x, _csv(*GOOD))
    response = _confirm(client, preview, employer=world.y.pk)
    assert response.status_code == 200
    assert not User.objects.filter(email="nina@example.nl").exists()
    assert _confirm(client, preview).status_code == 302  # the previewed employer still works
    assert User.objects.get(email="nina@example.nl").employment.employer == world.x
