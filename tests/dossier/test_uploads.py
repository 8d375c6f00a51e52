"""Uploads: types by content, size limit, all or nothing, streamed downloads."""

import io
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from dossier import services
from dossier.models import Document, documents_storage
from tests.factories import document_for, pdf_bytes

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _files(documents_dir):
    return sorted(p for p in documents_dir.rglob("*") if p.is_file()) if documents_dir.exists() else []


@pytest.mark.parametrize(
    "content, expected",
    [
        (pdf_bytes(), "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_upload_allowed_types_are_recognised_by_content(world, content, expected):
    document = document_for(world.a, content=content)
    assert document.content_type == expected


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00" + b"\x00" * 100,  # a Windows executable renamed to .pdf
        b"<!DOCTYPE html><script>alert(1)</script>",  # HTML posing as a PDF
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"\x7fELF" + b"\x00" * 100,
        b"PK\x03\x04" + b"\x00" * 100,  # a zip that is not a Word document
        b"   %PDF-1.4 hidden later",
    ],
)
def test_upload_renamed_files_posing_as_pdf_are_refused(world, documents_dir, content):
    before = _files(documents_dir)
    with pytest.raises(ValidationError) as error:
        document_for(world.a, content=content)
    assert error.value.code == "type"
    assert Document.objects.count() == 0 and _files(documents_dir) == before


def test_upload_oversize_file_is_refused(world, settings, documents_dir):
    settings.DOSSIER_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        document_for(world.a, content=pdf_bytes() + b"\x00" * 2048)
    assert error.value.code == "too_large"
    assert "te groot" in error.value.messages[0]


def test_upload_refused_in_the_admin_shows_a_translated_error(world, client_for):
    response = client_for(world.hr_x).post(
        "/admin/dossier/document/add/",
        {
            "employee": world.a.pk,
            "category": "overig",
            "title": "Nep",
            "upload": SimpleUploadedFile(
                "rapport.pdf", b"<html><script>x</script></html>", "application/pdf"
            ),
        },
    )
    assert response.status_code == 200
    assert "Dit soort bestand wordt niet geaccepteerd" in response.content.decode()
    assert not Document.objects.exists()


def test_upload_is_all_or_nothing_when_the_database_fails(world, documents_dir, monkeypatch):
    before = _files(documents_dir)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "notification_queue", broken)
    with pytest.raises(RuntimeError):
        document_for(world.a)
    assert Document.objects.count() == 0
    assert _files(documents_dir) == before


def test_upload_in_the_admin_is_all_or_nothing_when_its_transaction_fails(
    world, client_for, documents_dir, monkeypatch
):
    from dossier.admin import DocumentAdmin

    client = client_for(world.hr_x)
    before = _files(documents_dir)

    def broken(self, request, obj, message):
        raise RuntimeError("database went away after the row")

    monkeypatch.setattr(DocumentAdmin, "log_addition", broken)
    client.raise_request_exception = False
    response = client.post(
        "/admin/dossier/document/add/",
        {
            "employee": world.a.pk,
            "category": "overig",
            "title": "Halverwege",
            "upload": SimpleUploadedFile("x.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    assert response.status_code == 500
    assert not Document.objects.filter(title="Halverwege").exists()
    assert _files(documents_dir) == before


def test_documents_sweep_removes_only_unreferenced_old_files(world, documents_dir):
    import os
    import time

    from django.core.management import call_command

    kept = document_for(world.a)
    orphan = documents_storage().save(f"{world.a.pk}/orphan", ContentFile(b"x"))
    old = time.time() - 7200
    os.utime(documents_dir / orphan, (old, old))
    os.utime(documents_dir / kept.file.name, (old, old))
    call_command("documents_sweep")
    assert not (documents_dir / orphan).exists()
    assert (documents_dir / kept.file.name).exists()


def test_download_streams_without_growing_memory_by_the_file_size(world, client_for, documents_dir):
    size = 40 * 1024 * 1024
    name = f"{world.a.pk}/large"
    path = documents_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(size)
    document = Document.objects.create(
        employee=world.a,
        category="overig",
        title="Groot",
        file=name,
        original_name="groot.pdf",
        content_type="application/pdf",
        size=size,
        sha256="0" * 64,
    )
    client = client_for(world.a)
    tracemalloc.start()
    try:
        response = client.get(f"/dossier/documents/{document.pk}/file/?download=1")
        received = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == size
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB file"


def test_download_behind_nginx_uses_x_accel_redirect(world, client_for, settings):
    settings.DOSSIER_SENDFILE = "nginx"
    document = document_for(world.a)
    response = client_for(world.a).get(f"/dossier/documents/{document.pk}/file/")
    assert response["X-Accel-Redirect"] == f"/protected-documents/{document.file.name}"
    assert response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"
