"""Serving a document: streamed (never read whole into memory), with headers that keep the browser from guessing.

Prevents: content sniffing of an upload into HTML, caching of personal data on shared computers, framing, and
unsafe file names in Content-Disposition. Behind nginx, X-Accel-Redirect lets nginx stream the file instead.
"""

import re
import unicodedata

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header

from dossier.models import Document
from dossier.uploads import DOCX, JPEG, PDF, PNG

_EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", DOCX: "docx"}
INLINE_TYPES = {PDF, PNG, JPEG}
CHUNK = 64 * 1024


def safe_filename(document: Document) -> str:
    """The original name without path, control or quote characters, and with the extension of the real type."""
    name = unicodedata.normalize("NFC", document.original_name).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r'[\x00-\x1f\x7f"<>:|?*;]+', "", stem).strip(" .") or "document"
    return f"{stem[:100]}.{_EXTENSIONS.get(document.content_type, 'bin')}"


def document_response(document: Document, *, download: bool) -> HttpResponse:
    as_attachment = download or document.content_type not in INLINE_TYPES
    mode = settings.DOSSIER_SENDFILE
    if mode == "nginx":
        response = HttpResponse(content_type=document.content_type)
        response["X-Accel-Redirect"] = settings.DOSSIER_ACCEL_PREFIX.rstrip("/") + "/" + document.file.name
        response["Content-Disposition"] = content_disposition_header(as_attachment, safe_filename(document))
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
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
