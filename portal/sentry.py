"""Optional error reports to Sentry (SENTRY_DSN): an error and its stack leave the portal, personal data does not.

Prevents: a copy of health-adjacent personal data at a third party. The SDK is told to send none (no default PII,
no local variables, no request bodies), and `before_send` scrubs what is left in each event: cookies, headers that
carry credentials, the user beyond an id, and every e-mail address or link token in any text of the event.
"""

import sentry_sdk
from django_guid import get_guid
from sentry_sdk.integrations.django import DjangoIntegration

from core.logs import redact

# Compared in lower case; a request's cookies are dropped as a whole as well.
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-csrftoken"}


def _scrubbed(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


def _headers_without_secrets(headers):
    if isinstance(headers, dict):
        return {name: value for name, value in headers.items() if str(name).lower() not in _SECRET_HEADERS}
    return [pair for pair in headers or [] if str(pair[0]).lower() not in _SECRET_HEADERS]


def before_send(event: dict, hint: dict | None = None) -> dict:
    """The event as it may leave: no cookies, credentials, request body or user data, nothing that looks like an
    e-mail address or a reset/invitation link anywhere in it; tagged with the request id to find its log lines."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        if "headers" in request:
            request["headers"] = _headers_without_secrets(request["headers"])
    if isinstance(event.get("user"), dict):
        event["user"] = {"id": event["user"]["id"]} if "id" in event["user"] else {}
    event = _scrubbed(event)
    request_id = get_guid()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(*, dsn: str, environment: str | None, traces_sample_rate: float) -> None:
    """Start the SDK with the Django integration and the scrubbing above (called from the settings)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        # A frame's variables can hold a birth date or a dossier's text; the stack's file and line are enough.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_send_transaction=before_send,
    )
