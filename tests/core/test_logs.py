"""Log lines: one JSON object each with the request id, and nothing that looks like an address or a link token."""

import io
import json
import logging
import re

import pytest

from core import logs
from portal.settings.env import env_log_format

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("login by Anna.de-Vries+hr@Example.co.uk", "login by [email]"),
        ("GET /accounts/password-reset/?email=anna%40example.nl HTTP/1.1", "?email=[email] HTTP/1.1"),
        ("Not Found: /accounts/reset/MTI/cfx1ab-0123456789abcdef/", "Not Found: /accounts/reset/[redacted]"),
        ("/accounts/activate/MTI/abc/?next=/dossier/", "/accounts/activate/[redacted]?next=/dossier/"),
        ("/accounts/contact-change/MTI/abc/", "/accounts/contact-change/[redacted]"),
        ('{"path": "/accounts/reset/MTI/a\\"b"}', '{"path": "/accounts/reset/[redacted]\\"b"}'),
        ("GET /dossier/documents/5d3c/?download=1", "GET /dossier/documents/5d3c/?download=1"),
    ],
)
def test_redact_takes_out_addresses_and_tokens_only(text, expected):
    assert expected in logs.redact(text)


def _line(formatter, *, exc=None, extra=None, **record_args):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(logs.RedactFilter())
    logger = logging.Logger("test.logs")
    logger.addHandler(handler)
    if exc:
        try:
            raise exc
        except type(exc):
            logger.exception(*record_args["args"], extra=extra)
    else:
        logger.warning(*record_args["args"], extra=extra)
    return stream.getvalue()


def test_the_filter_redacts_arguments_and_tracebacks_in_text_lines():
    line = _line(
        logging.Formatter("%(message)s"),
        exc=ValueError("no account for anna@example.nl"),
        args=("login %s from %r", "anna@example.nl", "/accounts/reset/MTI/tok-123/"),
    )
    assert "anna" not in line and "tok-123" not in line
    assert (
        "login [email] from '/accounts/reset/[redacted]'" in line
        and "ValueError: no account for [email]" in line
    )


def test_a_json_line_is_one_object_with_time_level_logger_message_and_request_id():
    line = _line(
        logs.JsonLineFormatter(),
        exc=KeyError("anna@example.nl"),
        extra={"request_id": "a" * 32, "detail": "anna@example.nl"},
        args=("failed for %s", "anna@example.nl"),
    )
    assert line.count("\n") == 1
    data = json.loads(line)
    assert data["level"] == "ERROR" and data["logger"] == "test.logs" and data["request_id"] == "a" * 32
    assert data["message"] == "failed for [email]" and data["detail"] == "[email]"
    assert "KeyError" in data["exc_info"] and "anna" not in line
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", data["time"])


@pytest.mark.parametrize(
    "env, expected",
    [({"DEBUG": "0"}, "json"), ({"DEBUG": "1"}, "text"), ({"DEBUG": "1", "LOG_FORMAT": "json"}, "json")],
)
def test_log_format_is_json_unless_debug(monkeypatch, env, expected):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert env_log_format() == expected


def test_a_request_id_from_nginx_is_kept_and_returned(client, db):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert response["X-Request-ID"] == "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "sent", [None, "", "not-a-request-id", "x" * 200, "0123456789abcdef0123456789abcdeg"]
)
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(client, db, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    first = client.get("/accounts/login/", **headers)["X-Request-ID"]
    second = client.get("/accounts/login/", **headers)["X-Request-ID"]
    assert HEX32.fullmatch(first) and HEX32.fullmatch(second) and first != second


def test_every_line_of_a_request_carries_its_request_id(client, db):
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if h.name == "console"]
    stream = handler.setStream(io.StringIO())
    formatter = handler.formatter
    handler.setFormatter(logs.JsonLineFormatter())
    try:
        response = client.get("/accounts/reset/MTI/token-1234/nothing-here/")
        written = handler.stream.getvalue()
    finally:
        handler.setFormatter(formatter)
        handler.setStream(stream)
    (line,) = [json.loads(line) for line in written.splitlines()]
    assert response.status_code == 404
    assert line["request_id"] == response["X-Request-ID"]
    assert line["message"] == "Not Found: /accounts/reset/[redacted]"
