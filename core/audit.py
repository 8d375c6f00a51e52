"""Recording security events: one append-only row and one log line each, safe against forged log lines.

Prevents: log injection (a user-supplied value with a line break cannot start a new log line; every value is
escaped), secrets in the log (callers pass no password, code, secret or birth date; `detail` is ours), e-mail
addresses in the log (the row keeps the typed address for staff; the log line only a keyed hash of it), and events
nobody can read (a kind must be registered by its app, `@audit.register` on a TextChoices in `<app>/events.py`).
"""

import logging

from django.db import models
from django.utils.crypto import salted_hmac

from core.logs import redact
from core.models import AuditEvent

logger = logging.getLogger("portal.audit")

_KINDS: dict[str, object] = {}


def register(kinds: type[models.TextChoices]) -> type[models.TextChoices]:
    """An app's event kinds (a class decorator); a value may be registered once, by one app."""
    for value, text in kinds.choices:
        if value in _KINDS and _KINDS[value] != text:
            raise ValueError(f"audit event kind {value!r} is registered twice")
        _KINDS[value] = text
    return kinds


def label(kind: str) -> str:
    return str(_KINDS.get(kind, kind))


def choices() -> list[tuple[str, object]]:
    return sorted(_KINDS.items(), key=lambda item: str(item[1]))


def clean(value, limit: int = 254) -> str:
    """Printable text only: control characters (line breaks too) are escaped, never written raw."""
    text = "" if value is None else str(value)
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)[:limit]


def email_key(email: str) -> str:
    """A stand-in for an address in log lines: the same address gives the same key, and no key gives the address
    back without the secret key (repeated failures for one account can be followed; nobody learns who it was)."""
    if not email:
        return "-"
    return salted_hmac("core.audit.email", email.strip().lower()).hexdigest()[:12]


def record(
    kind: str, *, user=None, actor=None, email: str = "", ip: str | None = None, detail: str = ""
) -> AuditEvent:
    """One event row, written in the caller's transaction (or on its own in autocommit), so it is on disk before
    the response that reports what it records."""
    if kind not in _KINDS:
        raise ValueError(f"audit event kind {kind!r} is not registered")
    event = AuditEvent.objects.create(
        kind=kind,
        user=user if getattr(user, "pk", None) else None,
        actor=actor if getattr(actor, "pk", None) else None,
        email=clean(email),
        ip=ip or None,
        detail=clean(detail, 255),
    )
    logger.info(
        "audit event=%s user=%s actor=%s email_key=%s ip=%s detail=%r",
        kind,
        event.user_id,
        event.actor_id,
        email_key(event.email),
        event.ip,
        redact(event.detail),  # a staff member's address in a contact change's detail stays in the row only
    )
    return event
