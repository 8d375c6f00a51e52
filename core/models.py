"""The outbox and the audit events (their tables keep the names they had in `accounts`), and the append-only base
of every log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    """The outbox: a mail is a row first, so a failing SMTP server delays it but never loses it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    to = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    kind = models.CharField(_("kind"), max_length=64)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        db_table = "accounts_outgoingemail"
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="accounts_outbox_pending",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed or deleted through the ORM (logs kept for NEN 7513).

    Each subclass has an `at` timestamp. A log (`is_log = True`: audit events, the access log) is pruned by
    `manage.py prune_audit` past the log's retention; any other append-only row (an employee's response to a
    document, with its attachment) is dossier content, kept as long as the dossier, never by the log's clock.
    """

    is_log = False

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only.")


class AuditEvent(AppendOnlyModel):
    """Security events (NEN 7513): append-only, never a password, code, secret or birth date.

    The kinds are registered by each app (core.audit.register); the column holds the value, the label comes from
    the registry.
    """

    is_log = True  # pruned by manage.py prune_audit after the log's retention

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=40, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    email = models.CharField(_("email address given"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        db_table = "accounts_auditevent"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}"

    def get_kind_display(self) -> str:
        from core.audit import label

        return label(self.kind)
