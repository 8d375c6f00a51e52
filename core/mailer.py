"""The outbox: render a mail into a row now, send it after commit or from the worker, retry until it goes.

A failing SMTP server never loses a mail and never shows the user a 500; `send_notifications` picks up what is
pending. Rows are locked with SKIP LOCKED (PostgreSQL), so two workers never send the same mail.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Min
from django.template import Context, TemplateDoesNotExist, engines
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.conf import app_settings
from core.links import with_language
from core.models import OutgoingEmail

logger = logging.getLogger(__name__)


def _plain(name: str, context: dict) -> str:
    """A plain-text part: rendered without HTML escaping (a link's "&" or a name's "&" stay as they are)."""
    return engines["django"].engine.get_template(name).render(Context(context, autoescape=False))


def _render(template: str, context: dict) -> tuple[str, str, str]:
    subject = " ".join(_plain(f"{template}_subject.txt", context).split())
    text = _plain(f"{template}_body.txt", context)
    try:
        html = render_to_string(f"{template}_body.html", context)
    except TemplateDoesNotExist:
        html = ""
    return subject, text, html


def mail_render(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of a mail in the given language."""
    with translation.override(language):
        return _render(
            template,
            {
                **context,
                "LANGUAGE_CODE": language,
                "PORTAL_NAME": settings.PORTAL_NAME,
                # Security mails say whom to contact (templates/email/_contact.*).
                "CONTACT_PHONE": getattr(settings, "PORTAL_CONTACT_PHONE", ""),
                "CONTACT_EMAIL": getattr(settings, "PORTAL_CONTACT_EMAIL", ""),
            },
        )


def mail_enqueue(
    *, to: str, template: str, context: dict, language: str, send_now: bool = False, reference: str = ""
) -> OutgoingEmail:
    """Queue one mail in the recipient's language, in the caller's transaction (a transactional outbox).

    It is sent after commit when MAIL_DELIVERY is on_commit or the caller asks `send_now` (a new document: the
    uploader's request may wait for SMTP, a login must not); otherwise the worker sends it. A failure to send
    leaves it pending for the worker, never an error for the caller.
    """
    if isinstance(context.get("link"), str):  # the page it opens speaks the mail's language
        context = {**context, "link": with_language(context["link"], language)}
    subject, text, html = mail_render(template=template, context=context, language=language)
    mail = OutgoingEmail.objects.create(
        to=to,
        subject=subject[:255],
        body_text=text,
        body_html=html,
        kind=template.rsplit("/", 1)[-1],
        reference=reference[:100],
    )
    if send_now or app_settings.MAIL_DELIVERY == "on_commit":
        transaction.on_commit(lambda: _send_after_commit(mail.pk))
    return mail


def mail_oldest_pending_at():
    """When the oldest mail still waiting to go out was queued, or None: the worker's backlog (portal/health.py)."""
    pending = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING)
    return pending.aggregate(oldest=Min("created_at"))["oldest"]


def _send_after_commit(pk: int) -> None:
    try:
        mail_send_pending(ids=[pk])
    except Exception:  # noqa: BLE001 - the commit already happened; the worker retries what is still pending
        logger.exception("Sending mail %s right after commit failed; it stays in the outbox", pk)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def mail_send_pending(
    *, limit: int = 200, ids: list[int] | None = None, should_stop: Callable[[], bool] | None = None
) -> int:
    """Send due mails over one SMTP connection; a failure is retried later with a growing wait. Returns the sent.

    Each mail is claimed (row lock, SKIP LOCKED), sent and marked sent in its own transaction, so a worker stopped
    mid-batch (a deploy) or a database error leaves at most the one mail it was sending to go out again, never the
    mails it had already sent. `should_stop` is asked before each next mail: a worker told to stop (SIGTERM)
    finishes the mail at hand and leaves the rest pending. An SMTP server that cannot be reached postpones the mail
    at hand and ends the round.
    """
    now = timezone.now()
    sent = tried = 0
    connection = None
    try:
        while tried < limit and not (should_stop and should_stop()):
            with transaction.atomic():
                due = OutgoingEmail.objects.select_for_update(skip_locked=True).filter(
                    status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now
                )
                if ids is not None:
                    due = due.filter(pk__in=ids)
                mail = due.order_by("next_attempt_at", "pk").first()
                if mail is None:
                    break
                tried += 1
                if connection is None:
                    connection = get_connection()
                    try:
                        connection.open()
                    except Exception as exc:  # noqa: BLE001 - any failure to reach the server postpones the mail
                        connection = None
                        _failed(mail, exc, now)
                        mail.save(update_fields=["attempts", "next_attempt_at", "last_error", "status"])
                        break
                if _send_one(mail, connection, now):
                    sent += 1
    finally:
        if connection is not None:
            connection.close()
    return sent


def _send_one(mail: OutgoingEmail, connection, now) -> bool:
    message = EmailMultiAlternatives(mail.subject, mail.body_text, to=[mail.to], connection=connection)
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001
        _failed(mail, exc, now)
        mail.save(update_fields=["attempts", "next_attempt_at", "last_error", "status"])
        return False
    mail.status = OutgoingEmail.Status.SENT
    mail.sent_at = timezone.now()
    mail.attempts += 1
    # A sent mail's body may hold a reset link: keep only what an audit needs.
    mail.body_text = mail.body_html = ""
    mail.save(update_fields=["status", "sent_at", "attempts", "body_text", "body_html"])
    return True


def _failed(mail: OutgoingEmail, exc: Exception, now) -> None:
    mail.attempts += 1
    mail.last_error = f"{type(exc).__name__}: {exc}"[:255]
    mail.next_attempt_at = now + _backoff(mail.attempts)
    if mail.attempts >= app_settings.MAIL_MAX_ATTEMPTS:
        mail.status = OutgoingEmail.Status.FAILED
        logger.error("Mail %s failed for good after %s attempts", mail.pk, mail.attempts)
    else:
        logger.warning("Mail %s postponed after attempt %s: %s", mail.pk, mail.attempts, type(exc).__name__)
