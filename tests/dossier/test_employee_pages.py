"""The employee's own pages: the dossier, a document, and "Wie heeft mijn dossier ingezien"."""

import re

import pytest
from django.core import mail
from django.test import Client

from dossier.models import AccessLog, Document
from tests.factories import document_for

pytestmark = pytest.mark.django_db


def test_dossier_shows_personal_data_trajects_and_documents_by_category(world, client_for):
    from dossier.models import Traject

    Traject.objects.create(employee=world.a, kind="verzuim", start="2026-10-01")
    document_for(world.a, title="Uitnodiging spreekuur", category="uitnodiging_bedrijfsarts")
    document_for(world.a, title="Oud plan", category="plan_van_aanpak")
    document_for(world.a, title="Nieuw plan", category="plan_van_aanpak")
    document_for(world.b, title="Van Bert", category="overig")
    body = client_for(world.a).get("/dossier/").content.decode()
    for text in (
        "Mijn eigen dossier",
        "Anna",
        "04-07-1985",
        "a@example.nl",
        "+31612345678",
        "Werkgever X",
        "Verzuim",
    ):
        assert text in body, text
    assert "Van Bert" not in body
    # issue 12: newest first across categories, each with its category as a label
    assert body.index("Nieuw plan") < body.index("Oud plan") < body.index("Uitnodiging spreekuur")
    assert '<span class="category-label">Uitnodiging bedrijfsarts</span>' in body
    assert body.index("Mijn documenten") < body.index("Mijn gegevens")  # on a phone: documents first
    assert body.count('class="badge"') == 3  # unread


def test_dossier_page_query_count_does_not_grow_with_documents(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.a)
    for n in range(30):
        document_for(world.a, title=f"Document {n}")
    client.get("/dossier/")  # the session's idle clock is written at most every 30 s; measure a steady page
    # issue 12 added two fixed queries: open actions and upcoming appointments (contacts come with the trajects)
    with django_assert_max_num_queries(10):
        response = client.get("/dossier/?page=2")
    assert "Pagina 2 van 2" in response.content.decode()


def test_document_is_streamed_to_its_employee_with_safe_headers(world, client_for):
    document = document_for(world.a, title='Plan "van" aanpak')
    response = client_for(world.a).get(f"/dossier/documents/{document.pk}/file/")
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline")
    assert '"' not in response["Content-Disposition"].split("filename=", 1)[1].strip('"')
    assert "sandbox" in response["Content-Security-Policy"]
    download = client_for(world.a).get(f"/dossier/documents/{document.pk}/file/?download=1")
    assert download["Content-Disposition"].startswith("attachment")


def test_first_opening_sets_the_read_receipt_once(world, client_for):
    document = document_for(world.a)
    client = client_for(world.a)
    client.get(f"/dossier/documents/{document.pk}/")
    first = Document.objects.get(pk=document.pk).first_opened_at
    assert first is not None
    client.get(f"/dossier/documents/{document.pk}/")
    assert Document.objects.get(pk=document.pk).first_opened_at == first


@pytest.mark.parametrize("who", ["b", "c", "hr_x", "case_manager", "medical"])
def test_another_users_document_answers_404(world, client_for, who):
    document = document_for(world.a)
    response = client_for(getattr(world, who)).get(f"/dossier/documents/{document.pk}/")
    assert response.status_code == 404
    assert not AccessLog.objects.filter(document=document).exists()
    assert Document.objects.get(pk=document.pk).first_opened_at is None


def test_document_before_the_second_step_is_refused(world, password):
    document = document_for(world.a)
    client = Client()
    client.post("/accounts/login/", {"username": world.a.email, "password": password})
    response = client.get(f"/dossier/documents/{document.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/twofactor/")
    assert Client().get(f"/dossier/documents/{document.pk}/")["Location"].startswith("/accounts/login/")


def test_unknown_document_answers_404(world, client_for):
    assert (
        client_for(world.a).get("/dossier/documents/00000000-0000-0000-0000-000000000000/").status_code == 404
    )


def test_every_view_and_download_leaves_one_log_row_visible_to_the_employee(world, client_for):
    document = document_for(world.a, title="Probleemanalyse")
    client = client_for(world.a)
    client.get("/dossier/")
    client.get(f"/dossier/documents/{document.pk}/")
    client.get(f"/dossier/documents/{document.pk}/file/")
    client.get(f"/dossier/documents/{document.pk}/file/?download=1")
    rows = list(AccessLog.objects.filter(subject=world.a).order_by("at", "pk"))
    assert [r.action for r in rows] == [
        "view_dossier",
        "view_document_page",
        "view_document",
        "download_document",
    ]
    assert all(r.actor == world.a and r.ip == "127.0.0.1" for r in rows)
    body = client.get("/dossier/access-log/").content.decode()
    assert "Wie heeft mijn dossier ingezien" in body
    assert body.count("Probleemanalyse") == 3 and "werknemer" in body


def test_access_log_shows_staff_views_but_not_other_employees_logs(world, client_for):
    document = document_for(world.a, title="Plan")
    client_for(world.hr_x).get(f"/admin/dossier/document/{document.pk}/change/")
    body = client_for(world.a).get("/dossier/access-log/").content.decode()
    assert "HR van de werkgever" in body and "Werkgever X" in body
    assert "HR van de werkgever" not in client_for(world.b).get("/dossier/access-log/").content.decode()


def test_mail_link_leads_through_both_steps_to_the_document(world, deliver_mail, password):
    from tests.conftest import totp_code

    document = document_for(world.a, title="Geheime titel")
    deliver_mail()
    link = re.search(r"https://portal\.example\.test(\S+)", mail.outbox[-1].body).group(1)
    client = Client()
    login_page = client.get(link)
    assert login_page.status_code == 200
    response = client.post(link, {"username": world.a.email, "password": password})
    response = client.get(response["Location"])
    response = client.post(
        response["Location"] if response.status_code == 302 else "/twofactor/verify/", {"token": totp_code()}
    )
    assert response["Location"] == f"/dossier/documents/{document.pk}/"
    page = client.get(response["Location"])  # issue 12: the document's page in the portal, not the bare file
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    body = page.content.decode()
    assert "Geheime titel" in body and "Terug naar mijn dossier" in body
    assert f"/dossier/documents/{document.pk}/file/?download=1" in body
