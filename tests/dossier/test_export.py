"""Issue 13, "Download mijn dossier": the ZIP checked file by file against the database, dossier.json against its
schema, a missing file in the README, and the rules: re-authentication, own export only, joined, 24 hours, logged."""

import hashlib
import io
import json
import time
import uuid
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEvent
from dossier import exports
from dossier.events import ExportEvent
from dossier.models import AccessLog, Appointment, DossierExport, documents_storage
from dossier.responses import response_create
from tests.conftest import totp_code
from tests.factories import PASSWORD, document_for, pdf_bytes

pytestmark = pytest.mark.django_db

EXPORT = "/dossier/export/"


def reauth(client, user):
    """Mijn Instellingen' re-authentication (password and a fresh code), back to the export page."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    offset = 1 if device.last_t >= int(time.time() // 30) else 0
    response = client.post(
        f"/account/settings/reauth/?next={EXPORT}",
        {"password": PASSWORD, "token": totp_code(offset_steps=offset)},
    )
    assert response.status_code == 302 and response["Location"] == EXPORT, response
    return client


@pytest.fixture
def dossier_a(world):
    """Employee A: a plan (with a response and attachment), a medical document, an appointment. B has one too."""
    plan = document_for(world.a, title="Plan van aanpak")
    medical = document_for(world.a, title="Verslag bedrijfsarts", category="overig", medical=True)
    attachment = ContentFile(pdf_bytes("bijlage"), name="b.pdf")
    response, _ = response_create(
        document=plan,
        author=world.a,
        agreement="agree",
        own_view="Prima plan.",
        submission=uuid.uuid4(),
        upload=attachment,
    )
    appointment = Appointment.objects.create(
        employee=world.a, document=plan, with_whom="Dr. Arts", starts_at=timezone.now() + timedelta(days=3)
    )
    other = document_for(world.b, title="Van B")
    return {"documents": [plan, medical], "response": response, "appointment": appointment, "other": other}


def _requested(client_for, user):
    client = reauth(client_for(user), user)
    assert client.post(EXPORT)["Location"] == EXPORT
    return client


def _built(client_for, user):
    client = _requested(client_for, user)
    assert exports.export_build_pending() == 1
    export = DossierExport.objects.get(employee=user)
    assert export.status == DossierExport.Status.READY, export.status
    return client, export


def _download(client, export) -> zipfile.ZipFile:
    response = client.get(f"/dossier/export/{export.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_export_zip_matches_the_database_file_by_file(world, dossier_a, client_for, deliver_mail, mailoutbox):
    import jsonschema

    client, export = _built(client_for, world.a)
    archive = _download(client, export)
    data = json.loads(archive.read("dossier.json"))

    # dossier.json follows its committed schema (also inside the ZIP), ISO 8601 moments included.
    schema = json.loads((exports.SCHEMA_PATH).read_text())
    assert json.loads(archive.read("dossier.schema.json")) == schema
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)

    # Exactly A's documents (the medical one too: it is her own), none of B's; each file equal to the stored one.
    by_id = {str(d.pk): d for d in dossier_a["documents"]}
    assert {d["id"] for d in data["documents"]} == set(by_id)
    for entry in data["documents"]:
        document = by_id[entry["id"]]
        content = archive.read(entry["file"]["path"])
        assert hashlib.sha256(content).hexdigest() == document.sha256 == entry["sha256"]
        assert len(content) == document.size and entry["file"]["sha256_matches"] is True
        assert entry["title"] == document.title and entry["is_medical"] == document.is_medical
    response = dossier_a["response"]
    [answer] = data["responses"]
    assert answer["id"] == str(response.pk) and answer["own_view"] == "Prima plan."
    assert hashlib.sha256(archive.read(answer["attachment"]["path"])).hexdigest() == response.sha256
    [appointment] = data["appointments"]
    assert appointment["id"] == str(dossier_a["appointment"].pk) and appointment["with_whom"] == "Dr. Arts"
    assert data["person"]["email"] == world.a.email and data["person"]["employer"] == "Werkgever X"
    assert {e["action"] for e in data["access_log"]} >= {AccessLog.Action.EXPORT_DOSSIER}
    assert data["problems"] == []

    # Nothing else in the ZIP: the files listed, the JSON, its schema and the README (Dutch for a Dutch employee).
    expected = {e["file"]["path"] for e in data["documents"]} | {answer["attachment"]["path"]}
    assert set(archive.namelist()) == expected | {"dossier.json", "dossier.schema.json", "README.txt"}
    readme = archive.read("README.txt").decode()
    assert "Alle bestanden zijn toegevoegd." in readme and "Van B" not in readme

    # The ZIP as stored is the one served, with the recorded size and SHA-256.
    stored = documents_storage().open(export.file.name).read()
    assert hashlib.sha256(stored).hexdigest() == export.sha256 and len(stored) == export.size

    # The mail: a link to the export page, nothing from the dossier.
    deliver_mail()
    [mail] = [m for m in mailoutbox if "%2Fdossier%2Fexport%2F" in m.body]
    assert mail.to == [world.a.email] and "/accounts/login/?next=%2Fdossier%2Fexport%2F" in mail.body
    assert "Plan van aanpak" not in mail.body and "Verslag" not in mail.body


def test_export_readme_is_in_the_employees_language(world, dossier_a, client_for):
    world.a.language = "en"
    world.a.save(update_fields=["language"])
    client, export = _built(client_for, world.a)
    archive = _download(client, export)
    assert "All files were added." in archive.read("README.txt").decode()
    assert json.loads(archive.read("dossier.json"))["language"] == "en"


def test_export_missing_file_is_listed_in_the_readme_not_a_crash(world, dossier_a, client_for):
    import jsonschema

    gone = dossier_a["documents"][1]
    documents_storage().delete(gone.file.name)
    client, export = _built(client_for, world.a)
    assert export.missing_files == 1
    archive = _download(client, export)
    readme = archive.read("README.txt").decode()
    assert "Verslag bedrijfsarts" in readme and "niet gevonden" in readme
    data = json.loads(archive.read("dossier.json"))
    schema = json.loads(exports.SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    [entry] = [d for d in data["documents"] if d["id"] == str(gone.pk)]
    assert entry["file"] == {"path": None, "missing": True, "sha256_matches": None}
    assert [p["problem"] for p in data["problems"]] == ["missing"]
    assert "1 bestand kon niet worden toegevoegd" in client.get(EXPORT).content.decode()


def test_export_changed_file_is_listed_as_differing(world, dossier_a, client_for, documents_dir):
    changed = dossier_a["documents"][0]
    (documents_dir / changed.file.name).write_bytes(b"%PDF-1.4 not the upload")
    client, export = _built(client_for, world.a)
    data = json.loads(_download(client, export).read("dossier.json"))
    assert [p["problem"] for p in data["problems"]] == ["sha256"]


def test_export_request_without_reauthentication_is_refused(world, client_for):
    client = client_for(world.a)
    for response in (client.get(EXPORT), client.post(EXPORT)):
        assert response.status_code == 302
        assert response["Location"].startswith("/account/settings/reauth/?next=")
    assert not DossierExport.objects.exists()


def test_export_reauthentication_goes_stale(world, client_for):
    client = reauth(client_for(world.a), world.a)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert client.post(EXPORT)["Location"].startswith("/account/settings/reauth/")
    assert not DossierExport.objects.exists()


def test_export_of_another_employee_is_404_and_audited(world, dossier_a, client_for):
    _, export = _built(client_for, world.a)
    intruder = reauth(client_for(world.b), world.b)
    assert intruder.get(f"/dossier/export/{export.pk}/download/").status_code == 404
    assert AuditEvent.objects.filter(kind=ExportEvent.EXPORT_DENIED, actor=world.b).exists()
    assert not AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD_EXPORT).exists()
    assert DossierExport.objects.get(pk=export.pk).downloads == 0


def test_export_staff_have_no_export(world, client_for):
    client = client_for(world.case_manager)
    assert client.get(EXPORT).status_code == 404
    assert "/dossier/export/" not in client.get("/account/settings/").content.decode()


def test_export_link_in_my_settings(world, client_for):
    assert 'href="/dossier/export/"' in client_for(world.a).get("/account/settings/").content.decode()


def test_export_second_request_joins_the_running_one(world, client_for):
    client = _requested(client_for, world.a)
    response = client.post(EXPORT, follow=True)
    assert DossierExport.objects.filter(employee=world.a).count() == 1
    page = response.content.decode()
    assert "wordt al klaargezet" in page and "Dossier klaarzetten" not in page
    # A race past the first check meets the database's rule and joins too.
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError in a savepoint
        from django.db import transaction

        with transaction.atomic():
            DossierExport.objects.create(employee=world.a, language="nl")


def test_export_request_and_download_are_logged(world, dossier_a, client_for):
    client, export = _built(client_for, world.a)
    assert AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.EXPORT_DOSSIER).count() == 1
    assert AuditEvent.objects.filter(kind=ExportEvent.EXPORT_REQUESTED, user=world.a).count() == 1
    assert AuditEvent.objects.filter(kind=ExportEvent.EXPORT_READY, user=world.a).count() == 1
    _download(client, export)
    _download(client, export)
    assert (
        AccessLog.objects.filter(
            subject=world.a, actor=world.a, action=AccessLog.Action.DOWNLOAD_EXPORT
        ).count()
        == 2
    )
    assert AuditEvent.objects.filter(kind=ExportEvent.EXPORT_DOWNLOADED, user=world.a).count() == 2
    assert DossierExport.objects.get(pk=export.pk).downloads == 2


def test_export_expires_after_24_hours_and_its_file_is_deleted(world, dossier_a, client_for, documents_dir):
    client, export = _built(client_for, world.a)
    path = documents_dir / export.file.name
    assert path.exists()
    with time_machine.travel(export.expires_at - timedelta(minutes=1)):
        assert exports.export_expire_due() == 0
    assert path.exists()
    with time_machine.travel(export.expires_at + timedelta(minutes=1)):
        call_command("send_notifications")  # the worker's loop expires it
        assert not path.exists()
        export.refresh_from_db()
        assert export.status == DossierExport.Status.EXPIRED and export.file.name == ""
        assert AuditEvent.objects.filter(kind=ExportEvent.EXPORT_EXPIRED, user=world.a).exists()
        client = reauth(client_for(world.a), world.a)
        response = client.get(f"/dossier/export/{export.pk}/download/")
        assert response.status_code == 302 and response["Location"] == EXPORT


def test_export_not_yet_swept_is_still_refused_after_expiry(world, dossier_a, client_for):
    _, export = _built(client_for, world.a)
    with time_machine.travel(export.expires_at + timedelta(seconds=1)):
        client = reauth(client_for(world.a), world.a)
        assert client.get(f"/dossier/export/{export.pk}/download/")["Location"] == EXPORT
    assert not AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD_EXPORT).exists()


def test_export_is_built_by_the_worker_command(world, dossier_a, client_for):
    _requested(client_for, world.a)
    call_command("send_notifications")
    assert DossierExport.objects.get(employee=world.a).status == DossierExport.Status.READY


def test_export_built_right_after_the_request_without_a_worker(
    world, dossier_a, client_for, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_DELIVERY = "on_commit"  # `make run`
    client = reauth(client_for(world.a), world.a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EXPORT)
    assert DossierExport.objects.get(employee=world.a).status == DossierExport.Status.READY


def test_export_failing_build_is_marked_failed_and_may_be_asked_again(world, client_for, monkeypatch):
    client = _requested(client_for, world.a)

    def broken(**kwargs):
        raise OSError("storage down")

    monkeypatch.setattr(exports, "export_write_zip", broken)
    assert exports.export_build_pending() == 1
    assert DossierExport.objects.get(employee=world.a).status == DossierExport.Status.FAILED
    assert AuditEvent.objects.filter(kind=ExportEvent.EXPORT_FAILED, user=world.a).exists()
    assert "Probeer het opnieuw" in client.get(EXPORT).content.decode()
    client.post(EXPORT)
    assert DossierExport.objects.filter(employee=world.a, status=DossierExport.Status.REQUESTED).count() == 1


@pytest.mark.django_db(transaction=True)  # real commits: the build runs when the request's write commits
def test_export_that_failed_right_after_the_request_says_only_that(world, client_for, settings, monkeypatch):
    """Issue 31: built at once (`make run`) and failed: the page says it failed, in the error style, and no green
    "we are preparing your download" beside it."""
    settings.MAIL_DELIVERY = "on_commit"
    monkeypatch.setattr(
        exports, "export_write_zip", lambda **kwargs: (_ for _ in ()).throw(OSError("disk full"))
    )
    client = reauth(client_for(world.a), world.a)
    page = client.post(EXPORT, follow=True).content.decode()
    assert DossierExport.objects.get(employee=world.a).status == DossierExport.Status.FAILED
    assert '<div class="alert" role="alert"><p>Het klaarzetten van uw download is niet gelukt' in page
    assert "We zetten uw download klaar" not in page and 'class="message"' not in page


def test_export_stale_build_is_claimed_again(world, client_for):
    _requested(client_for, world.a)
    export = DossierExport.objects.get(employee=world.a)
    DossierExport.objects.filter(pk=export.pk).update(
        status=DossierExport.Status.BUILDING, started_at=timezone.now()
    )
    assert exports.export_build_pending() == 0  # a worker is still on it
    with time_machine.travel(timezone.now() + exports.STALE_BUILD + timedelta(minutes=1)):
        assert exports.export_build_pending() == 1
    assert DossierExport.objects.get(pk=export.pk).status == DossierExport.Status.READY


def test_documents_sweep_keeps_exports_and_response_attachments(world, dossier_a, client_for, documents_dir):
    import os

    _, export = _built(client_for, world.a)
    orphan = documents_storage().save("exports/orphan.zip", ContentFile(b"x"))
    old = time.time() - 7200
    for name in (export.file.name, dossier_a["response"].file.name, orphan):
        os.utime(documents_dir / name, (old, old))
    call_command("documents_sweep")
    assert (documents_dir / export.file.name).exists()
    assert (documents_dir / dossier_a["response"].file.name).exists()
    assert not (documents_dir / orphan).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")
def test_export_two_workers_at_once_never_build_one_export_twice():
    import threading

    from django.db import connections

    from tests.factories import UserFactory

    users = [UserFactory() for _ in range(6)]
    for user in users:
        exports.export_request(user=user, ip=None)
    claimed = []

    def worker():
        try:
            while exports.export_build_pending():
                claimed.append(1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(claimed) == 6
    assert DossierExport.objects.filter(status=DossierExport.Status.READY).count() == 6
    assert AuditEvent.objects.filter(kind=ExportEvent.EXPORT_READY).count() == 6


def test_export_on_s3_storage_streams_from_and_saves_to_the_bucket(world, settings):
    """The same build against S3 (moto's in-process mock of the API, no network): documents read from the bucket,
    the ZIP saved there, and a missing object listed, not a crash."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket="portal-docs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "documents": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "portal-docs",
                    "region_name": "eu-west-1",
                    "access_key": "AKIAEXAMPLE",
                    "secret_key": "secret",
                    "default_acl": "private",
                    "file_overwrite": False,
                    "location": "documents",
                },
            },
        }
        storage = documents_storage()
        assert hasattr(storage, "bucket_name")
        kept = document_for(world.a, title="Plan van aanpak")
        gone = document_for(world.a, title="Weg")
        storage.delete(gone.file.name)
        exports.export_request(user=world.a, ip=None)
        assert exports.export_build_pending() == 1
        export = DossierExport.objects.get(employee=world.a)
        assert export.status == DossierExport.Status.READY and export.missing_files == 1
        with storage.open(export.file.name, "rb") as handle:
            content = handle.read()
        assert hashlib.sha256(content).hexdigest() == export.sha256
        archive = zipfile.ZipFile(io.BytesIO(content))
        data = json.loads(archive.read("dossier.json"))
        [entry] = [d for d in data["documents"] if d["id"] == str(kept.pk)]
        assert hashlib.sha256(archive.read(entry["file"]["path"])).hexdigest() == kept.sha256
        assert "Weg" in archive.read("README.txt").decode()
        with time_machine.travel(export.expires_at + timedelta(minutes=1)):
            assert exports.export_expire_due() == 1
        assert not storage.exists(export.file.name)
