"""The audit event kinds of the dossier app (core.audit records them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core import audit


@audit.register
class Event(models.TextChoices):
    DOCUMENT_VIEW = "document_view", _("document viewed")
    DOCUMENT_DOWNLOAD = "document_download", _("document downloaded")
    DOCUMENT_DENIED = "document_denied", _("document refused (not in scope)")
