"""Recording security events: one append-only row and one log line each, safe against forged log lines.

Prevents: log injection (a user-supplied value with a line break cannot start a new log line; every value is
escaped), and secrets in the log (callers pass no password, code, secret or birth date; `detail` is ours).
"""

import logging

from accounts.models import AuditEvent

logger = logging.getLogger("portal.audit")

Kind = AuditEvent.Kind


def clean(value, limit: int = 254) -> str:
    """Printable text only: control characters (line breaks too) are escaped, never written raw."""
    text = "" if value is None else str(value)
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)[:limit]


def record(
    kind: str, *, user=None, actor=None, email: str = "", ip: str | None = None, detail: str = ""
) -> AuditEvent:
    event = AuditEvent.objects.create(
        kind=kind,
        user=user if getattr(user, "pk", None) else None,
        actor=actor if getattr(actor, "pk", None) else None,
        email=clean(email),
        ip=ip or None,
        detail=clean(detail, 255),
    )
    logger.info(
        "audit event=%s user=%s actor=%s email=%r ip=%s detail=%r",
        kind,
        event.user_id,
        event.actor_id,
        event.email,
        event.ip,
        event.detail,
    )
    return event
