"""Issue 12: the document page and the employee's responses (append-only, access rules, mail without content)."""

import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent, OutgoingEmail
from dossier.models import AccessLog, Document, Response, Traject
from tests.factories import document_for, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world):
    traject = Traject.objects.create(
        employee=world.a, kind="verzuim", start="2026-10-01", case_manager=world.case_manager
    )
    document = document_for(world.a, title="Plan van aanpak Anna")
    Document.objects.filter(pk=document.pk).update(
        traject=traject, note="Graag reageren.", action_needed_before="2026-12-31"
    )
    return Document.objects.get(pk=document.pk)


def _post(client, document, **data):
    payload = {"agreement": "agree", "own_view": "", "submission": str(uuid.uuid4()), **data}
    return client.post(f"/dossier/documents/{document.pk}/respond/", payload)


def test_document_page_shows_title_sender_note_inline_file_and_the_way_back(world, client_for, plan):
    response = client_for(world.a).get(f"/dossier/documents/{plan.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Plan van aanpak Anna",
        "Plan van aanpak",
        "Graag reageren.",
        "Terug naar mijn dossier",
        "Downloaden",
        f'<iframe class="document-view" src="/dossier/documents/{plan.pk}/file/"',
        "cm@arbo.nl",
        "31 december 2026",
    ):
        assert text in body, text
    assert "frame-src 'self'" in response["Content-Security-Policy"]
    assert AccessLog.objects.filter(subject=world.a, document=plan, action="view_document_page").count() == 1
    assert Document.objects.get(pk=plan.pk).first_opened_at is not None


def test_file_may_be_framed_by_the_portal_only_and_stays_sandboxed(world, client_for, plan):
    response = client_for(world.a).get(f"/dossier/documents/{plan.pk}/file/")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_open_action_is_at_the_top_of_the_dossier_until_the_employee_responds(world, client_for, plan):
    client = client_for(world.a)
    body = client.get("/dossier/").content.decode()
    assert body.index("Te doen") < body.index("Mijn documenten")
    _post(client, plan, own_view="Prima plan.")
    assert "Te doen" not in client.get("/dossier/").content.decode()


def test_response_is_saved_audited_shown_and_announced_without_content(world, client_for, plan, deliver_mail):
    client = client_for(world.a)
    response = _post(
        client,
        plan,
        agreement="disagree",
        own_view="Ik wil eerst halve dagen werken.",
        attachment=SimpleUploadedFile("visie.pdf", pdf_bytes("Visie")),
    )
    assert response.status_code == 302 and response["Location"].endswith("#responses")
    saved = Response.objects.get(document=plan)
    assert saved.agreement == "disagree" and saved.author == world.a and saved.file and saved.size
    assert AuditEvent.objects.filter(kind="response_created", user=world.a).count() == 1
    announced = OutgoingEmail.objects.get(kind="response_received")
    assert announced.to == world.case_manager.email
    for secret in ("Anna", "halve dagen", "Plan van aanpak", str(plan.pk)[:0] or "Visie"):
        assert secret not in announced.subject + announced.body_text
    assert "Ik wil eerst halve dagen werken." in client.get(f"/dossier/documents/{plan.pk}/").content.decode()
    file = client.get(f"/dossier/documents/{plan.pk}/responses/{saved.pk}/file/")
    assert file.status_code == 200 and file["Content-Disposition"].startswith("attachment")
    assert mail.outbox == [] or all("halve dagen" not in m.body for m in mail.outbox)


def test_responses_are_append_only_and_a_double_submit_adds_one(world, client_for, plan):
    client = client_for(world.a)
    key = str(uuid.uuid4())
    _post(client, plan, submission=key, own_view="Eerste keer.")
    _post(client, plan, submission=key, own_view="Eerste keer.")  # the same form sent twice
    assert Response.objects.filter(document=plan).count() == 1
    _post(client, plan, agreement="disagree", own_view="Toch niet.")
    assert Response.objects.filter(document=plan).count() == 2
    first = Response.objects.filter(document=plan).earliest("at")
    first.own_view = "bewerkt"
    with pytest.raises(PermissionError):
        first.save()
    with pytest.raises(PermissionError):
        first.delete()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agreement": "disagree", "own_view": "  "}, "Schrijf in een paar woorden"),
        ({"own_view": "x" * 10_000}, "maximaal 2000 tekens"),
        ({"agreement": ""}, "Kies of u het eens bent"),
    ],
)
def test_bad_response_gets_a_translated_form_error_and_changes_nothing(
    world, client_for, plan, data, message
):
    response = _post(client_for(world.a), plan, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Response.objects.exists()
    # the answer page opens at the form with its error, not at the top ~2,000 px above it (issue 31)
    assert f'action="/dossier/documents/{plan.pk}/respond/#responses"' in response.content.decode()
    assert 'id="responses"' in response.content.decode()


def test_response_to_another_employees_document_or_a_category_without_one_is_404(world, client_for, plan):
    other = document_for(world.b, title="Plan Bert")
    invitation = document_for(world.a, title="Uitnodiging", category="uitnodiging_bedrijfsarts")
    client = client_for(world.a)
    assert _post(client, other).status_code == 404
    assert _post(client, invitation).status_code == 404
    assert "Mijn reactie" not in client.get(f"/dossier/documents/{invitation.pk}/").content.decode()
    for who in (world.b, world.hr_x, world.case_manager):
        assert _post(client_for(who), plan).status_code == 404
    assert not Response.objects.exists()
    assert AuditEvent.objects.filter(kind="document_denied").exists()


def test_staff_see_responses_beside_the_document_per_the_access_rules(world, client_for, plan):
    medical = document_for(world.a, title="Medisch plan", medical=True)
    client = client_for(world.a)
    _post(client, plan, own_view="Mijn visie op het plan.")
    _post(client, medical, own_view="Visie op medisch stuk.")
    hr = client_for(world.hr_x)
    assert "Mijn visie op het plan." in hr.get(f"/admin/dossier/document/{plan.pk}/change/").content.decode()
    assert hr.get(f"/admin/dossier/document/{medical.pk}/change/").status_code == 404  # HR never on medical
    doctor = client_for(world.medical).get(f"/admin/dossier/document/{medical.pk}/change/").content.decode()
    assert "Visie op medisch stuk." in doctor
    assert AccessLog.objects.filter(actor=world.hr_x, document=plan, action="view_response").count() == 1
    assert client_for(world.hr_y).get(f"/admin/dossier/document/{plan.pk}/change/").status_code == 404


def test_dossier_list_filters_by_category(world, client_for, plan):
    document_for(world.a, title="Overig stuk", category="overig")
    body = client_for(world.a).get("/dossier/?category=overig").content.decode()
    documents = body.split("Mijn documenten", 1)[1].split("Met wie kan ik contact opnemen?", 1)[0]
    assert "Overig stuk" in documents and "Plan van aanpak Anna" not in documents
