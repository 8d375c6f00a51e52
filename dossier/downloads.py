"""Serving a document: streamed (never read whole into memory), with headers that keep the browser from guessing.

Prevents: content sniffing of an upload into HTML, caching of personal data on shared computers, framing, and
unsafe file names in Content-Disposition. Behind nginx, X-Accel-Redirect lets nginx stream the file instead.

With S3 storage and DOCUMENT_SENDFILE=nginx the app signs a GET for the object, valid ACCEL_URL_SECONDS, and hands
it to nginx only (X-Accel-Redirect to an internal location that proxies to the object store, deploy/nginx). Not a
redirect of the browser to a pre-signed URL: S3 cannot add nosniff, the sandbox CSP or CORP to its answer, the
browser would need to reach the object store, and the link would be a bearer token in its history. The access-log
row is written by the view before this response exists, as for every mode.
"""

import re
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header

from dossier.models import Document
from dossier.uploads import FILE_TYPES

CHUNK = 64 * 1024
NO_STORE = "no-store, private"
# Long enough for nginx to start the fetch right away; useless to anyone who sees it later.
ACCEL_URL_SECONDS = 60


def safe_filename(document: Document) -> str:
    """The original name without path, control or quote characters, and with the extension of the real type."""
    name = unicodedata.normalize("NFC", document.original_name).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r'[\x00-\x1f\x7f"<>:|?*;]+', "", stem).strip(" .") or "document"
    file_type = FILE_TYPES.get(document.content_type)
    return f"{stem[:100]}.{file_type.extension if file_type else 'bin'}"


def accel_target(storage, name: str, *, content_type: str, disposition: str) -> str:
    """The internal URI nginx serves the file from: the local path, or the path and query of a signed S3 GET.

    The signed GET asks the object store itself for the same Content-Type, Content-Disposition and no-store.
    """
    prefix = settings.DOSSIER_ACCEL_PREFIX.rstrip("/")
    if not hasattr(storage, "bucket_name"):
        return f"{prefix}/{name}"
    signed = urlsplit(
        storage.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": NO_STORE,
            },
            expire=ACCEL_URL_SECONDS,
        )
    )
    return f"{prefix}{signed.path}?{signed.query}"


def document_response(document: Document, *, download: bool) -> HttpResponse:
    file_type = FILE_TYPES.get(document.content_type)
    as_attachment = download or not (file_type and file_type.inline)
    mode = settings.DOSSIER_SENDFILE
    if mode == "nginx":
        response = HttpResponse(content_type=document.content_type)
        disposition = content_disposition_header(as_attachment, safe_filename(document))
        response["X-Accel-Redirect"] = accel_target(
            document.file.storage,
            document.file.name,
            content_type=document.content_type,
            disposition=disposition,
        )
        response["Content-Disposition"] = disposition
    elif mode == "sendfile":
        response = HttpResponse(content_type=document.content_type)
        response["X-Sendfile"] = document.file.path
        response["Content-Disposition"] = content_disposition_header(as_attachment, safe_filename(document))
    else:
        handle = document.file.storage.open(document.file.name, "rb")
        response = FileResponse(
            handle,
            as_attachment=as_attachment,
            filename=safe_filename(document),
            content_type=document.content_type,
        )
        response.block_size = CHUNK
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = NO_STORE
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    # The document page shows the file in an <iframe> of the same origin: only our own pages may frame
    # it (frame-ancestors 'self' and SAMEORIGIN for older browsers); the sandbox still keeps any script in it dead.
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def response_file_response(response) -> HttpResponse:
    """The file an employee attached to a response: always a download, with the same protective headers."""
    handle = response.file.storage.open(response.file.name, "rb")
    file_type = FILE_TYPES.get(response.content_type)
    served = FileResponse(
        handle,
        as_attachment=True,
        filename=f"bijlage.{file_type.extension if file_type else 'bin'}",
        content_type=response.content_type or "application/octet-stream",
    )
    served.block_size = CHUNK
    return _attachment_headers(served)


def export_response(export) -> HttpResponse:
    """The ZIP of "Download mijn dossier": streamed (or handed to nginx), always a download."""
    storage, name = export.file.storage, export.file.name
    filename = f"dossier-{export.ready_at:%Y-%m-%d}.zip"
    mode = settings.DOSSIER_SENDFILE
    if mode == "nginx":
        response = HttpResponse(content_type="application/zip")
        disposition = content_disposition_header(True, filename)
        response["X-Accel-Redirect"] = accel_target(
            storage, name, content_type="application/zip", disposition=disposition
        )
        response["Content-Disposition"] = disposition
    elif mode == "sendfile":
        response = HttpResponse(content_type="application/zip")
        response["X-Sendfile"] = export.file.path
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        response = FileResponse(
            storage.open(name, "rb"), as_attachment=True, filename=filename, content_type="application/zip"
        )
        response.block_size = CHUNK
    return _attachment_headers(response)


def _attachment_headers(response: HttpResponse) -> HttpResponse:
    """A private download (an attachment, an export): never sniffed, cached, run or embedded elsewhere."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = NO_STORE
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; frame-ancestors 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
