"""The Web Portaal: roles scoped by dossier.access in every list, search, autocomplete, choice and direct URL."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dossier.models import AccessLog, Document
from tests.factories import document_for, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs(world):
    return {
        "a": document_for(world.a, title="Plan Anna"),
        "a_medical": document_for(world.a, title="Medisch advies Anna", medical=True),
        "c": document_for(world.c, title="Plan Cor"),
    }


def _titles(response) -> str:
    return response.content.decode()


def test_hr_list_shows_only_its_own_employers_non_medical_documents(world, docs, client_for):
    body = _titles(client_for(world.hr_x).get("/admin/dossier/document/"))
    assert "Plan Anna" in body
    assert "Plan Cor" not in body and "Medisch advies Anna" not in body


@pytest.mark.parametrize("query", ["Cor", "c@example.nl", "Medisch", "Plan"])
def test_hr_search_never_finds_other_employers_or_medical(world, docs, client_for, query):
    body = _titles(client_for(world.hr_x).get("/admin/dossier/document/", {"q": query}))
    assert "Plan Cor" not in body and "Medisch advies Anna" not in body


@pytest.mark.parametrize("doc", ["c", "a_medical"])
@pytest.mark.parametrize("suffix", ["change/", "history/", "delete/", "download/"])
def test_hr_direct_url_to_a_forbidden_document_is_404(world, docs, client_for, doc, suffix):
    response = client_for(world.hr_x).get(f"/admin/dossier/document/{docs[doc].pk}/{suffix}")
    assert response.status_code in (404, 403) if suffix == "delete/" else response.status_code == 404
    assert not AccessLog.objects.filter(document=docs[doc]).exists()


def test_hr_employee_list_autocomplete_and_direct_url_are_scoped(world, client_for):
    client = client_for(world.hr_x)
    users = _titles(client.get("/admin/accounts/user/"))
    assert "a@example.nl" in users and "b@example.nl" in users
    assert "c@example.nl" not in users and "hr@y.nl" not in users and "cm@arbo.nl" not in users
    auto = client.get(
        "/admin/autocomplete/",
        {"app_label": "dossier", "model_name": "document", "field_name": "employee", "term": ""},
    )
    emails = {item["text"] for item in json.loads(auto.content)["results"]}
    assert any("Anna" in e for e in emails) and not any("Cor" in e for e in emails)
    assert client.get(f"/admin/accounts/user/{world.c.pk}/change/").status_code == 404
    assert client.get(f"/admin/dossier/employer/{world.y.pk}/change/").status_code == 404


def test_hr_upload_form_offers_only_its_own_employees_and_no_medical_flag(world, client_for):
    page = _titles(client_for(world.hr_x).get("/admin/dossier/document/add/"))
    assert "is_medical" not in page
    client = client_for(world.hr_x)
    response = client.post(
        "/admin/dossier/document/add/",
        {
            "employee": world.c.pk,
            "category": "overig",
            "title": "Naar de verkeerde werknemer",
            "upload": SimpleUploadedFile("x.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    assert response.status_code == 200  # a form error: C is not a valid choice for HR of X
    assert not Document.objects.filter(title="Naar de verkeerde werknemer").exists()


def test_hr_uploads_a_document_for_its_employee(world, client_for, deliver_mail):
    from django.core import mail

    client = client_for(world.hr_x)
    response = client.post(
        "/admin/dossier/document/add/",
        {
            "employee": world.a.pk,
            "category": "plan_van_aanpak",
            "title": "Plan van aanpak 2026",
            "is_medical": "on",  # ignored: HR cannot mark (and then never see) a medical document
            "upload": SimpleUploadedFile("plan.pdf", pdf_bytes("Plan"), "application/pdf"),
        },
    )
    assert response.status_code == 302
    document = Document.objects.get(title="Plan van aanpak 2026")
    assert document.employee == world.a and document.uploaded_by == world.hr_x and not document.is_medical
    assert document.original_name == "plan.pdf" and "plan" not in document.file.name
    assert document.content_type == "application/pdf" and len(document.sha256) == 64
    deliver_mail()
    assert [m.to for m in mail.outbox] == [[world.a.email]]


def test_case_manager_sees_every_employer_but_no_medical(world, docs, client_for):
    body = _titles(client_for(world.case_manager).get("/admin/dossier/document/"))
    assert "Plan Anna" in body and "Plan Cor" in body
    assert "Medisch advies Anna" not in body


def test_medical_staff_see_medical_documents(world, docs, client_for):
    client = client_for(world.medical)
    assert "Medisch advies Anna" in _titles(client.get("/admin/dossier/document/"))
    assert client.get(f"/admin/dossier/document/{docs['a_medical'].pk}/download/").status_code == 200


def test_staff_views_and_downloads_are_logged(world, docs, client_for):
    client = client_for(world.hr_x)
    client.get(f"/admin/dossier/document/{docs['a'].pk}/change/")
    response = client.get(f"/admin/dossier/document/{docs['a'].pk}/download/")
    assert response["Content-Disposition"].startswith("attachment")
    client.get(f"/admin/accounts/user/{world.a.pk}/change/")
    rows = list(AccessLog.objects.filter(actor=world.hr_x).order_by("pk"))
    assert [r.action for r in rows] == ["view_record", "download_document", "view_record"]
    assert {r.actor_role for r in rows} == {"employer_hr"} and rows[0].actor_employer == "Werkgever X"


def test_access_log_is_read_only_in_the_admin_and_hidden_from_hr(world, docs, client_for):
    from dossier import services

    row = services.access_log_record(actor=world.a, subject=world.a, action="view_dossier", ip="127.0.0.1")
    admin = client_for(world.case_manager)
    assert "Anna" in _titles(admin.get("/admin/dossier/accesslog/"))
    assert admin.get("/admin/dossier/accesslog/add/").status_code == 403
    assert admin.post(f"/admin/dossier/accesslog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    admin.post(f"/admin/dossier/accesslog/{row.pk}/change/", {"actor_name": "Niemand"})
    assert AccessLog.objects.get(pk=row.pk).actor_name == row.actor_name
    assert client_for(world.hr_x).get("/admin/dossier/accesslog/").status_code == 403


def test_access_log_rows_cannot_be_changed_or_deleted_in_code(world):
    from dossier import services

    row = services.access_log_record(actor=world.a, subject=world.a, action="view_dossier", ip=None)
    row.actor_name = "Iemand anders"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()


def test_read_receipt_is_visible_to_hr(world, docs, client_for):
    client_for(world.a).get(f"/dossier/documents/{docs['a'].pk}/")
    body = _titles(client_for(world.hr_x).get("/admin/dossier/document/"))
    assert "gelezen door de werknemer" in body.lower()
    assert Document.objects.get(pk=docs["a"].pk).first_opened_at is not None


def test_hr_upload_message_has_no_wrong_dutch_article(world, client_for):
    """Issue 17: Django's "De document ‘…’ is met succes toegevoegd" (it is "het document")."""
    client = client_for(world.hr_x)
    response = client.post(
        "/admin/dossier/document/add/",
        {
            "employee": world.a.pk,
            "category": "plan_van_aanpak",
            "title": "Plan van aanpak 2026",
            "upload": SimpleUploadedFile("plan.pdf", pdf_bytes("Plan"), "application/pdf"),
        },
        follow=True,
    )
    body = re.sub(r"<[^>]+>", "", response.content.decode())
    assert "‘Plan van aanpak 2026’ (document) is toegevoegd." in body
    assert "De document" not in body


def test_the_document_page_gives_the_size_in_words_not_bytes(world, client_for):
    from tests.factories import document_for

    document = document_for(world.a, title="Groot", content=b"%PDF-1.4\n" + b"0" * 1_300_000)
    page = client_for(world.hr_x).get(f"/admin/dossier/document/{document.pk}/change/").content.decode()
    assert "1,2\xa0MB" in page and str(document.size) not in page
