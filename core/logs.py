"""Log lines without e-mail addresses or link tokens, as one JSON object each (the app's and gunicorn's alike).

Prevents: personal data and live links in logs that are kept, shipped and read far more widely than the database.
Callers already log no address (core.audit logs a keyed hash); the filter and the formatter here are the safety net
for what a library, a traceback or a query string brings along. Imports no Django: gunicorn's master process uses it.
"""

import logging
import re

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

# An e-mail address as typed, or URL-encoded in a query string ("anna%40example.nl").
EMAIL = re.compile(r"[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# Links that carry a token: password reset, invitation (activation, valid for days), contact-change confirmation.
# The token ends at a space, quote or backslash too, so a redacted JSON string keeps its closing quote and escapes.
TOKEN_PATH = re.compile(r"/accounts/(reset|activate|contact-change)/[^\s?#\"'\\]+")


def redact(text):
    """The text without e-mail addresses and without the token of a reset, invitation or confirmation link."""
    if not isinstance(text, str):
        return text
    return EMAIL.sub("[email]", TOKEN_PATH.sub(r"/accounts/\1/[redacted]", text))


class RedactFilter(logging.Filter):
    """On every handler: the message (with its arguments) and a traceback are written only redacted.

    Filters on a handler see the records of every logger that reaches it, Django's and libraries' included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # The text formatter prints this cached text; record.exc_info stays for error reporting (Sentry),
            # which scrubs its events itself (portal/sentry.py).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(record.exc_text)
        record.stack_info = redact(record.stack_info)
        return True


class JsonLineFormatter(JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, and any extra fields.

    The whole line is redacted once more, so a traceback (formatted here from the exception) or an extra field
    never carries an address either. A Django request object passed as `extra` is left out: the message names the
    path already.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(**kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
