"""Downloads from S3 behind nginx: nginx gets a short-lived signed GET, the browser never sees the object store."""

from urllib.parse import parse_qs, urlsplit

import pytest
from storages.backends.s3 import S3Storage

from dossier.downloads import ACCEL_URL_SECONDS, accel_target


@pytest.fixture
def s3():
    return S3Storage(
        bucket_name="portal-docs",
        endpoint_url="https://s3.example.nl",
        region_name="eu-west-1",
        access_key="AKIAEXAMPLE",
        secret_key="secret",
        location="documents",
        querystring_auth=True,
        addressing_style="path",
        signature_version="s3v4",
    )


def test_s3_accel_target_is_a_signed_path_style_get_under_the_internal_prefix(s3, settings):
    settings.DOSSIER_ACCEL_PREFIX = "/protected-documents/"
    target = accel_target(
        s3, "12/abc123", content_type="application/pdf", disposition='attachment; filename="brief.pdf"'
    )
    parts = urlsplit(target)
    assert parts.path == "/protected-documents/portal-docs/documents/12/abc123"
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == [str(ACCEL_URL_SECONDS)] and ACCEL_URL_SECONDS <= 60
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and "X-Amz-Signature" in query
    # The object store itself answers with the portal's type, name and no-store.
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"] == ['attachment; filename="brief.pdf"']
    assert query["response-cache-control"] == ["no-store, private"]
    assert "s3.example.nl" not in target  # nginx knows the endpoint; the header never names it


def test_local_accel_target_is_the_stored_name_under_the_prefix(settings, tmp_path):
    from django.core.files.storage import FileSystemStorage

    settings.DOSSIER_ACCEL_PREFIX = "/protected-documents"
    target = accel_target(
        FileSystemStorage(location=tmp_path),
        "12/abc123",
        content_type="application/pdf",
        disposition="inline",
    )
    assert target == "/protected-documents/12/abc123"
