"""Upload check: an allow-list of types recognised by their content (never by name), and a size limit.

Prevents: a renamed executable, HTML or SVG file posing as a PDF (stored XSS or malware served to an employee),
and storage exhaustion by huge uploads. The extension of the original name is ignored.
"""

import hashlib
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class FileType:
    extension: str  # given to the download's file name, whatever the original name said
    inline: bool  # a browser may show it in the page (under the sandbox CSP); otherwise always a download


# The one table of accepted types (uploads) and how they are served (downloads).
FILE_TYPES = {
    PDF: FileType("pdf", inline=True),
    PNG: FileType("png", inline=True),
    JPEG: FileType("jpg", inline=True),
    DOCX: FileType("docx", inline=False),
}
_SIGNATURES = [(b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG)]


def _is_docx(upload) -> bool:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and "word/document.xml" in names


def sniff(upload) -> str:
    """The content type of the upload by its first bytes (ZIP structure for DOCX), or a ValidationError."""
    max_bytes = settings.DOSSIER_MAX_UPLOAD_BYTES
    if upload.size > max_bytes:
        raise ValidationError(
            _("This file is too large. The maximum is %(max)s.") % {"max": filesizeformat(max_bytes)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head.startswith(b"PK\x03\x04") and _is_docx(upload):
        return DOCX
    raise ValidationError(
        _("This type of file is not accepted. Upload a PDF, PNG, JPEG or Word (.docx) file."), code="type"
    )


def sha256_of(upload) -> str:
    """The upload's SHA-256, read in chunks (never the whole file in memory); the file is rewound afterwards."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
