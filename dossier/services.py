"""Every write of the dossier app: documents (all or nothing, with their notification), the access log, demo data."""

import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts import services as account_services
from core import audit
from core.links import site_url
from core.mailer import mail_enqueue
from dossier import access, page_cache
from dossier.events import Event, ImportEvent
from dossier.models import AccessLog, Document, Employment, document_file_name, documents_storage
from dossier.uploads import sha256_of, sniff

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------- documents
def document_create(
    *, employee, upload, category: str, title: str, uploaded_by=None, traject=None, is_medical: bool = False
) -> Document:
    """Store an upload and its row together, and queue the employee's notification in the same transaction.

    All or nothing: if the row or the notification cannot be written, the stored file is removed again, so there
    is never a file without its row or a row without its file. A caller with a larger transaction (the Web
    Portaal's add form) wraps it in `documents_transaction()`, which removes the file again if that transaction
    fails; a crash between file and commit leaves at most an unreferenced file that `documents_sweep` removes.
    Raises ValidationError for a refused file.
    """
    content_type = sniff(upload)
    document = Document(
        id=uuid.uuid4(),
        employee=employee,
        traject=traject,
        category=category,
        title=title,
        is_medical=is_medical,
        original_name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size,
        sha256=sha256_of(upload),
        uploaded_by=uploaded_by,
    )
    storage = documents_storage()
    stored_name = storage.save(document_file_name(document, upload.name), upload)
    if (stored := _STORED_IN_TRANSACTION.get()) is not None:
        stored.append(stored_name)
    try:
        with transaction.atomic():
            document.file.name = stored_name
            document.save(force_insert=True)
            notification_queue(document=document)
    except BaseException:
        storage.delete(stored_name)
        raise
    return document


_STORED_IN_TRANSACTION: ContextVar[list[str] | None] = ContextVar("dossier_stored_files", default=None)


@contextmanager
def documents_transaction():
    """One transaction around a caller's larger unit of work (the admin's add form: the document, its log entry):
    if anything in it fails, the files that document_create stored in it are removed again."""
    stored: list[str] = []
    token = _STORED_IN_TRANSACTION.set(stored)
    try:
        with transaction.atomic():
            yield
    except Exception:
        for name in stored:
            documents_storage().delete(name)
        raise
    finally:
        _STORED_IN_TRANSACTION.reset(token)


def notification_queue(*, document: Document) -> None:
    """The mail that a document is ready: only a link, never the title, category or any health-related text."""
    employee = document.employee
    target = reverse("dossier:document", kwargs={"pk": document.pk})
    # Issue 11: an employee who never set a password gets the activation wording and link instead of "log in".
    activation = account_services.invitation_link_with_notification(user=employee, next_path=target)
    link = activation or site_url(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
    mail_enqueue(
        to=employee.email,
        template="dossier/email/document_ready_activate" if activation else "dossier/email/document_ready",
        context={"user": employee, "link": link, "days": account_services.invitation_days()},
        language=employee.language,
        send_now=True,
        reference=f"document:{document.pk}",
    )


def document_mark_opened(*, document: Document, by) -> None:
    """The read receipt: the first opening by the employee sets first_opened_at, once (race-free UPDATE)."""
    if by.pk == document.employee_id and document.first_opened_at is None:
        now = timezone.now()
        updated = Document.objects.filter(pk=document.pk, first_opened_at__isnull=True).update(
            first_opened_at=now
        )
        if updated:
            document.first_opened_at = now
            page_cache.changed(document.employee_id)  # the "new" mark goes (an UPDATE sends no signal)


# ----------------------------------------------------------------------------------------------- access log
def _role_of(user) -> str:
    if not user.is_staff:
        return AccessLog.Role.EMPLOYEE
    if user.is_superuser:
        return AccessLog.Role.ADMINISTRATOR
    if access.sees_medical(user):
        return AccessLog.Role.MEDICAL
    if access.sees_all_employers(user):
        return AccessLog.Role.CASE_MANAGER
    return AccessLog.Role.EMPLOYER_HR


def access_log_record(
    *,
    actor,
    subject,
    action: str,
    ip: str | None,
    document: Document | None = None,
    actor_employer: str | None = None,
) -> AccessLog:
    """One append-only row per view or download, by anyone (NEN 7513): who, whose data, what, when, from where.

    This row is the record of the access; no audit event is written beside it (the audit log keeps the refused
    attempts, `access_refused_record`, and the security events). `actor_employer` (the name of the actor's
    employer, "" for none) may be passed when the caller already has it, to save the query. The row is written
    in the caller's transaction (or alone, in autocommit): on disk before the response that shows the data.
    """
    if actor_employer is None:
        employment = Employment.objects.select_related("employer").filter(user=actor).first()
        actor_employer = employment.employer.name if employment is not None else ""
    logger.info(
        "access actor=%s subject=%s action=%s document=%s ip=%s",
        actor.pk,
        subject.pk,
        action,
        document.pk if document is not None else "-",
        ip,
    )
    return AccessLog.objects.create(
        **_actor_columns(actor, actor_employer),
        subject=subject,
        document=document,
        document_title=document.title[:200] if document is not None else "",
        action=action,
        ip=ip or None,
    )


def _actor_columns(actor, employer_name: str) -> dict:
    return {
        "actor": actor,
        "actor_name": (actor.get_full_name() or actor.email)[:300],
        "actor_role": _role_of(actor),
        "actor_employer": employer_name,
    }


def access_log_record_listed(*, actor, ip: str | None, subjects=(), documents=()) -> None:
    """A Web Portaal list or autocomplete showed these employees (and document titles): one row each.

    Seeing that a person has a dossier at the provider is already health-related (AVG art. 9), so a list is an
    access like opening the record; staff accounts shown to an administrator are not dossiers and are skipped.
    """
    rows = [(d.employee, d) for d in documents] + [(s, None) for s in subjects if not s.is_staff]
    if not rows:
        return
    employment = Employment.objects.select_related("employer").filter(user=actor).first()
    columns = _actor_columns(actor, employment.employer.name if employment is not None else "")
    AccessLog.objects.bulk_create(
        AccessLog(
            **columns,
            subject=subject,
            document=document,
            document_title=document.title[:200] if document is not None else "",
            action=AccessLog.Action.VIEW_LIST,
            ip=ip or None,
        )
        for subject, document in rows
    )


def access_refused_record(*, actor, ip: str | None, document_id) -> None:
    """A request for a document outside the requester's scope (NEN 7513: an attempted access counts)."""
    audit.record(Event.DOCUMENT_DENIED, actor=actor, ip=ip, detail=f"document {document_id}")


# ----------------------------------------------------------------------------------------------- import
@transaction.atomic
def employee_create_imported(
    *, user, employer, personnel_number: str, job_title: str, actor, ip: str | None, invite: bool = True
):
    """One employee of HR's bulk import: the account as the admin's add form makes it (no password, never staff,
    audited), the employment at the import's employer, and the invitation queued in the caller's transaction, so
    it is sent after commit and a rolled-back import sends nothing. The import's preview passes `invite=False`."""
    account_services.user_create_by_staff(user=user, actor=actor, ip=ip)
    Employment.objects.create(
        user=user, employer=employer, personnel_number=personnel_number, job_title=job_title
    )
    if invite:
        account_services.invitation_send(user=user, actor=actor, ip=ip, detail="employee import")
    return user


def employee_import_record(
    *,
    actor,
    ip: str | None,
    employer,
    count: int,
    refused: bool = False,
    hidden_addresses: bool = False,
    address: str = "",
) -> None:
    """The import as one audit event (each account also has its own "account created" and "invitation" events);
    a refused employer, or a file naming addresses of accounts outside the importer's scope, as its own event."""
    if hidden_addresses:
        audit.record(
            ImportEvent.IMPORT_HIDDEN_ADDRESSES,
            actor=actor,
            ip=ip,
            email=address,
            detail="address of an account outside the importer's scope",
        )
    elif refused:
        audit.record(ImportEvent.IMPORT_REFUSED, actor=actor, ip=ip, detail=f"employer id {employer}")
    else:
        audit.record(
            ImportEvent.EMPLOYEES_IMPORTED,
            actor=actor,
            ip=ip,
            detail=f"{count} employees for employer {employer.pk} ({employer.name})",
        )
