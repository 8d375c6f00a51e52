"""The audit event kinds of the dossier app (core.audit records them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core import audit


@audit.register
class Event(models.TextChoices):
    DOCUMENT_VIEW = "document_view", _("document viewed")
    DOCUMENT_DOWNLOAD = "document_download", _("document downloaded")
    DOCUMENT_DENIED = "document_denied", _("document refused (not in scope)")


@audit.register
class ResponseEvent(models.TextChoices):
    """Issue 12: the employee's responses and appointment answers, and staff changes to an appointment."""

    RESPONSE_CREATED = "response_created", _("response to a document added")
    APPOINTMENT_SAVED = "appointment_saved", _("appointment made or changed")
    APPOINTMENT_ANSWERED = "appointment_answered", _("appointment answered by the employee")


@audit.register
class ExportEvent(models.TextChoices):
    """Issue 13: "Download mijn dossier" (AVG art. 15 and 20), from request to deletion."""

    EXPORT_REQUESTED = "dossier_export_requested", _("dossier export requested")
    EXPORT_READY = "dossier_export_ready", _("dossier export ready")
    EXPORT_FAILED = "dossier_export_failed", _("dossier export failed")
    EXPORT_DOWNLOADED = "dossier_export_downloaded", _("dossier export downloaded")
    EXPORT_DENIED = "dossier_export_denied", _("dossier export refused (not the requester's)")
    EXPORT_EXPIRED = "dossier_export_expired", _("dossier export expired and deleted")


@audit.register
class ImportEvent(models.TextChoices):
    """Issue 11: HR's bulk import of employees (dossier/imports.py)."""

    EMPLOYEES_IMPORTED = "employees_imported", _("employees imported from a file")
    IMPORT_REFUSED = "employees_import_refused", _("employee import refused (employer not allowed)")
    IMPORT_HIDDEN_ADDRESSES = (
        "employees_import_hidden",
        _("employee import named addresses of accounts out of scope"),
    )
