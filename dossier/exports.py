""" "Download mijn dossier" (AVG art. 15 and 20): request, build in the worker, download, expire.

Rules, each with a test in tests/dossier/test_export.py:
- Only the employee, for themselves, after re-authentication (the views: twofactor's ReauthRequiredView); staff 404.
- One running export per employee: a second request joins it (a partial unique constraint settles a race).
- The worker claims a requested export with SKIP LOCKED (as the mail outbox does); a build that died half-way is
  claimed again after STALE_BUILD. With MAIL_DELIVERY=on_commit (DEBUG, `make run`) it is built right after the
  request's commit instead, as mails are sent then.
- The ZIP holds exactly what the employee's own pages show (the same selectors): documents, responses with their
  attachments, appointments, personal data, trajects and the access log, plus dossier.json (its schema,
  dossier/export_schema.json, rides along) and README.txt in the employee's language.
- Each file is streamed into the ZIP in chunks and hashed on the way (never a whole file in memory); a missing
  file, or one whose SHA-256 differs from the stored one, is listed in README.txt: never a silent gap, never a crash.
- The ZIP is written to a temporary file and saved to the private documents storage (local or S3), under exports/.
- The employee is mailed a link to the export page (nothing of the dossier in the mail). Download by that employee
  only, until expires_at (ready + EXPORT_HOURS); every download is logged (access log and audit). After expiry the
  worker (and documents_sweep) deletes the file and marks the row expired.
"""

import hashlib
import json
import logging
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from core import audit
from core.conf import app_settings as core_settings
from core.links import site_url
from core.mailer import mail_enqueue
from dossier import selectors
from dossier.downloads import safe_filename
from dossier.events import ExportEvent
from dossier.models import AccessLog, DossierExport, documents_storage, export_file_name
from dossier.services import access_log_record
from dossier.uploads import FILE_TYPES

logger = logging.getLogger(__name__)

EXPORT_HOURS = 24
STALE_BUILD = timedelta(minutes=30)
CHUNK = 1024 * 1024
SCHEMA_PATH = Path(__file__).with_name("export_schema.json")
FORMAT = "verzuimportaal-dossier-export"
FORMAT_VERSION = 1
RUNNING = (DossierExport.Status.REQUESTED, DossierExport.Status.BUILDING)


# ----------------------------------------------------------------------------------------------- request
def export_request(*, user, ip: str | None) -> tuple[DossierExport, bool]:
    """A new export for this employee, or the one already running (joined). Returns (export, created)."""
    running = DossierExport.objects.filter(employee=user, status__in=RUNNING).first()
    if running is not None:
        return running, False
    try:
        with transaction.atomic():
            export = DossierExport.objects.create(employee=user, language=user.language)
            access_log_record(actor=user, subject=user, action=AccessLog.Action.EXPORT_DOSSIER, ip=ip)
            audit.record(
                ExportEvent.EXPORT_REQUESTED, user=user, actor=user, ip=ip, detail=f"export {export.pk}"
            )
    except IntegrityError:  # a request in another tab won the race: join it
        return DossierExport.objects.get(employee=user, status__in=RUNNING), False
    if core_settings.MAIL_DELIVERY == "on_commit":  # no worker in `make run`: build it right after the commit
        transaction.on_commit(lambda: export_build_pending(ids=[export.pk]))
    return export, True


# ----------------------------------------------------------------------------------------------- build
def export_build_pending(*, ids: list | None = None) -> int:
    """Claim one requested export and build it (the worker's job). Returns 1 if one was handled, else 0."""
    export = _claim(ids)
    if export is None:
        return 0
    try:
        _build(export)
    except Exception:  # noqa: BLE001 - a failed build is marked failed and the employee may ask again
        logger.exception("Dossier export %s failed", export.pk)
        DossierExport.objects.filter(pk=export.pk, status=DossierExport.Status.BUILDING).update(
            status=DossierExport.Status.FAILED
        )
        audit.record(ExportEvent.EXPORT_FAILED, user=export.employee, detail=f"export {export.pk}")
    return 1


def _claim(ids) -> DossierExport | None:
    now = timezone.now()
    with transaction.atomic():
        due = DossierExport.objects.select_for_update(skip_locked=True).filter(
            Q(status=DossierExport.Status.REQUESTED)
            | Q(status=DossierExport.Status.BUILDING, started_at__lt=now - STALE_BUILD)
        )
        if ids is not None:
            due = due.filter(pk__in=ids)
        export = due.order_by("requested_at").first()
        if export is None:
            return None
        export.status = DossierExport.Status.BUILDING
        export.started_at = now
        export.save(update_fields=["status", "started_at"])
    return export


def _build(export: DossierExport) -> None:
    user = export.employee
    storage = documents_storage()
    with tempfile.TemporaryFile() as tmp:
        with translation.override(export.language):
            problems = export_write_zip(user=user, out=tmp)
        tmp.seek(0)
        digest, size = _sha256_of(tmp)
        tmp.seek(0)
        name = storage.save(export_file_name(export, ""), File(tmp, name="dossier.zip"))
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = DossierExport.objects.filter(
                pk=export.pk, status=DossierExport.Status.BUILDING, started_at=export.started_at
            ).update(
                status=DossierExport.Status.READY,
                file=name,
                sha256=digest,
                size=size,
                ready_at=now,
                expires_at=now + timedelta(hours=EXPORT_HOURS),
                missing_files=len(problems),
            )
            if updated:
                _mail_ready(user=user, export=export)
                audit.record(ExportEvent.EXPORT_READY, user=user, detail=f"export {export.pk} {size} bytes")
    except BaseException:
        storage.delete(name)
        raise
    if not updated:  # taken over as stale by another worker meanwhile: theirs counts
        storage.delete(name)


def _sha256_of(handle) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _mail_ready(*, user, export: DossierExport) -> None:
    """Only a link to the export page (behind login and re-authentication); nothing of the dossier."""
    target = reverse("dossier:export")
    mail_enqueue(
        to=user.email,
        template="dossier/email/export_ready",
        context={
            "user": user,
            "link": site_url(f"{reverse('accounts:login')}?{urlencode({'next': target})}"),
            "hours": EXPORT_HOURS,
        },
        language=export.language,
        reference=f"export:{export.pk}",
    )


# ----------------------------------------------------------------------------------------------- the ZIP
def _iso(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat() if hasattr(value, "hour") else value.isoformat()


def _zip_time(value) -> tuple:
    return timezone.localtime(value).timetuple()[:6]


def _stream(zf: zipfile.ZipFile, arcname: str, name: str, when) -> tuple[str, int] | None:
    """Copy one stored file into the ZIP in chunks, hashing on the way; None if the file is not in the storage."""
    storage = documents_storage()
    if not name or not storage.exists(name):
        return None
    info = zipfile.ZipInfo(arcname, date_time=_zip_time(when))
    info.compress_type = zipfile.ZIP_STORED  # PDFs and photos are compressed already
    digest, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as source, zf.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _file_entry(zf, *, arcname: str, row, when, problems: list, what: str) -> dict:
    copied = _stream(zf, arcname, row.file.name, when)
    if copied is None:
        problems.append({"path": arcname, "what": what, "problem": "missing"})
        return {"path": None, "missing": True, "sha256_matches": None}
    matches = copied[0] == row.sha256
    if not matches:
        problems.append({"path": arcname, "what": what, "problem": "sha256"})
    return {"path": arcname, "missing": False, "sha256_matches": matches}


def export_write_zip(*, user, out) -> list[dict]:
    """Write the whole export of `user` into the binary file `out`; returns the files that were missing or changed."""
    problems: list[dict] = []
    generated_at = timezone.now()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        documents = []
        # The employee's own document list (same selector, so the same rules), with every column.
        for document in (
            selectors.dossier_documents(user=user).defer(None).select_related("uploaded_by", "traject")
        ):
            day = f"{timezone.localtime(document.uploaded_at):%Y-%m-%d}"
            arcname = f"documents/{day}_{document.pk.hex[:8]}_{safe_filename(document)}"
            entry = _file_entry(
                zf,
                arcname=arcname,
                row=document,
                when=document.uploaded_at,
                problems=problems,
                what=document.title,
            )
            documents.append(_document_json(document, entry))
        responses = []
        for response in selectors.export_responses(user=user):
            attachment = None
            if response.file:
                file_type = FILE_TYPES.get(response.content_type)
                extension = file_type.extension if file_type else "bin"
                arcname = (
                    f"responses/{timezone.localtime(response.at):%Y-%m-%d}_{response.pk.hex[:8]}.{extension}"
                )
                entry = _file_entry(
                    zf,
                    arcname=arcname,
                    row=response,
                    when=response.at,
                    problems=problems,
                    what=response.original_name or response.document.title,
                )
                attachment = {
                    **entry,
                    "original_name": response.original_name,
                    "content_type": response.content_type,
                    "size": response.size,
                    "sha256": response.sha256,
                }
            responses.append(_response_json(response, attachment))
        data = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "generated_at": _iso(generated_at),
            "language": translation.get_language(),
            "person": _person_json(user),
            "trajects": [_traject_json(t) for t in selectors.trajects_of(user=user)],
            "documents": documents,
            "responses": responses,
            "appointments": [_appointment_json(a) for a in selectors.export_appointments(user=user)],
            "access_log": [_access_json(e) for e in selectors.access_log_of(user=user).iterator()],
            "problems": problems,
        }
        when = _zip_time(generated_at)
        _write_text(zf, "dossier.json", json.dumps(data, ensure_ascii=False, indent=2), when)
        _write_text(zf, "dossier.schema.json", SCHEMA_PATH.read_text(encoding="utf-8"), when)
        readme = render_to_string(
            "dossier/export/README.txt",
            {
                "PORTAL_NAME": settings.PORTAL_NAME,
                "user": user,
                "problems": problems,
                "generated_at": timezone.localtime(generated_at),
                "counts": {
                    "documents": len(documents),
                    "responses": len(responses),
                    "appointments": len(data["appointments"]),
                    "access_log": len(data["access_log"]),
                },
            },
        )
        _write_text(zf, "README.txt", readme, when)
    return problems


def _write_text(zf: zipfile.ZipFile, arcname: str, text: str, when) -> None:
    info = zipfile.ZipInfo(arcname, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text.encode("utf-8"))


def _person_json(user) -> dict:
    employment = selectors.employment_of(user=user)
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "birth_date": _iso(user.birth_date),
        "mobile": str(user.mobile or ""),
        "language": user.language,
        "account_created_at": _iso(user.date_joined),
        "employer": employment.employer.name if employment else None,
        "personnel_number": employment.personnel_number if employment else None,
        "job_title": employment.job_title if employment else None,
    }


def _person_name(person) -> str | None:
    return (person.get_full_name() or person.email) if person is not None else None


def _traject_json(traject) -> dict:
    return {
        "kind": traject.kind,
        "start": _iso(traject.start),
        "end": _iso(traject.end),
        "status": traject.status,
        "case_manager": _person_name(traject.case_manager),
        "company_doctor": _person_name(traject.company_doctor),
    }


def _document_json(document, entry: dict) -> dict:
    return {
        "id": str(document.pk),
        "title": document.title,
        "category": document.category,
        "category_label": str(document.get_category_display()),
        "is_medical": document.is_medical,
        "traject_start": _iso(document.traject.start) if document.traject else None,
        "uploaded_at": _iso(document.uploaded_at),
        "uploaded_by": _person_name(document.uploaded_by),
        "uploaded_by_role": selectors.role_label(document.uploaded_by) or None,
        "first_opened_at": _iso(document.first_opened_at),
        "note": document.note,
        "action_needed_before": _iso(document.action_needed_before),
        "original_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "file": entry,
    }


def _response_json(response, attachment: dict | None) -> dict:
    return {
        "id": str(response.pk),
        "document_id": str(response.document_id),
        "at": _iso(response.at),
        "agreement": response.agreement,
        "own_view": response.own_view,
        "attachment": attachment,
    }


def _appointment_json(appointment) -> dict:
    return {
        "id": str(appointment.pk),
        "document_id": str(appointment.document_id) if appointment.document_id else None,
        "starts_at": _iso(appointment.starts_at),
        "ends_at": _iso(appointment.ends_at),
        "duration_minutes": appointment.duration_minutes,
        "place": appointment.place,
        "video_url": appointment.video_url,
        "with_whom": appointment.with_whom,
        "cancelled": appointment.cancelled,
        "answer": appointment.answer or None,
        "answer_reason": appointment.answer_reason,
        "answered_at": _iso(appointment.answered_at),
    }


def _access_json(entry) -> dict:
    return {
        "at": _iso(entry.at),
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "actor_employer": entry.actor_employer or None,
        "action": entry.action,
        "action_label": str(entry.get_action_display()),
        "document_id": str(entry.document_id) if entry.document_id else None,
        "document_title": entry.document_title or None,
    }


# ----------------------------------------------------------------------------------------------- download, expiry
def export_of(*, user, pk) -> DossierExport:
    """The user's own export; another user's (or staff asking) is DoesNotExist, and the attempt is audited."""
    return DossierExport.objects.get(pk=pk, employee=user)


def export_downloadable(export: DossierExport) -> bool:
    return (
        export.status == DossierExport.Status.READY
        and export.expires_at is not None
        and export.expires_at > timezone.now()
    )


def export_download_record(*, export: DossierExport, user, ip: str | None) -> None:
    """Every download: a row in the access log (the employee sees it) and an audit event."""
    with transaction.atomic():
        DossierExport.objects.filter(pk=export.pk).update(downloads=F("downloads") + 1)
        access_log_record(actor=user, subject=user, action=AccessLog.Action.DOWNLOAD_EXPORT, ip=ip)
        audit.record(
            ExportEvent.EXPORT_DOWNLOADED, user=user, actor=user, ip=ip, detail=f"export {export.pk}"
        )


def export_refused_record(*, user, ip: str | None, pk) -> None:
    audit.record(ExportEvent.EXPORT_DENIED, actor=user, ip=ip, detail=f"export {pk}")


def export_expire_due() -> int:
    """Delete the files of exports past expires_at and mark them expired. Returns how many."""
    expired = 0
    storage = documents_storage()
    due = DossierExport.objects.filter(status=DossierExport.Status.READY, expires_at__lte=timezone.now())
    for export in due.order_by("expires_at")[:100]:
        if export.file.name:
            storage.delete(export.file.name)
        with transaction.atomic():
            DossierExport.objects.filter(pk=export.pk).update(status=DossierExport.Status.EXPIRED, file="")
            audit.record(ExportEvent.EXPORT_EXPIRED, user=export.employee, detail=f"export {export.pk}")
        expired += 1
    return expired


def export_worker_job() -> int:
    """The worker's job (core.worker): expire what is due, then build at most one export."""
    return export_expire_due() + export_build_pending()


def export_files_in_use() -> set[str]:
    """Storage names that belong to an export row (documents_sweep keeps them)."""
    return set(DossierExport.objects.exclude(file="").values_list("file", flat=True))
