"""Responses to a document: "akkoord" / "niet akkoord" with an own view and an optional file.

Append-only (a later response adds, never edits), audited, and announced to the traject's case manager by a mail
without content. A double submit of one form finds the first row (the form's one-time `submission` key).
"""

import logging
import uuid

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from core import audit
from core.links import site_url
from core.mailer import mail_enqueue
from dossier.conf import app_settings
from dossier.events import ResponseEvent
from dossier.models import Document, Response, document_file_name, documents_storage
from dossier.uploads import sha256_of, sniff

logger = logging.getLogger(__name__)


def takes_response(document: Document) -> bool:
    """Whether the document's category asks the employee for a response (the per-category setting)."""
    return document.category in app_settings.RESPONSE_CATEGORIES


def response_create(
    *,
    document: Document,
    author,
    agreement: str,
    own_view: str,
    submission: uuid.UUID,
    upload=None,
    ip: str | None = None,
) -> tuple[Response, bool]:
    """Add the employee's response to their own document; returns (response, created).

    Prevents: answering someone else's document or a category that takes none (PermissionDenied, nothing
    written), a duplicate row from a double submit (the same submission key returns the first row), and a refused
    file type (the upload rules of the admin: ValidationError).
    """
    if author.pk != document.employee_id or author.is_staff or not takes_response(document):
        raise PermissionDenied
    if (existing := Response.objects.filter(document=document, submission=submission).first()) is not None:
        return existing, False
    response = Response(
        document=document,
        author=author,
        agreement=agreement,
        own_view=own_view.strip(),
        submission=submission,
    )
    stored_name = ""
    if upload is not None:
        response.content_type = sniff(upload)
        response.original_name = (upload.name or "bijlage")[-255:]
        response.size = upload.size
        response.sha256 = sha256_of(upload)
        stored_name = documents_storage().save(document_file_name(document, upload.name), upload)
        response.file.name = stored_name
    try:
        with transaction.atomic():
            response.save(force_insert=True)
            audit.record(
                ResponseEvent.RESPONSE_CREATED,
                user=author,
                actor=author,
                ip=ip,
                detail=f"document {document.pk} response {response.pk}",
            )
            _announce(response)
    except IntegrityError:
        # The same form posted twice at once: the other request's row won.
        if stored_name:
            documents_storage().delete(stored_name)
        return Response.objects.get(document=document, submission=submission), False
    except BaseException:
        if stored_name:
            documents_storage().delete(stored_name)
        raise
    return response, True


def _announce(response: Response) -> None:
    """Mail the traject's case manager that a response is waiting: a link only, no name, title or content."""
    traject = response.document.traject
    case_manager = traject.case_manager if traject is not None else None
    if case_manager is None or not case_manager.is_active:
        logger.info("Response %s: the traject names no case manager, nobody to mail", response.pk)
        return
    link = site_url(reverse("admin:dossier_document_change", args=[response.document_id]))
    mail_enqueue(
        to=case_manager.email,
        template="dossier/email/response_received",
        context={"user": case_manager, "link": link},
        language=getattr(case_manager, "language", "nl") or "nl",
        reference=f"response:{response.pk}",
    )
