"""Error reports (portal/sentry.py): what leaves for Sentry carries no personal data. No event is ever sent here."""

import json

import pytest
import sentry_sdk

from portal import sentry


def _event():
    return {
        "message": "Login failed for anna.de.vries@example.nl",
        "exception": {"values": [{"type": "ValueError", "value": "no account anna.de.vries@example.nl"}]},
        "request": {
            "url": "https://portal.example.nl/accounts/reset/MTI/cfx1ab-0123456789abcdef/",
            "query_string": "email=anna.de.vries%40example.nl",
            "cookies": {"sessionid": "s3ss10n-c00k13"},
            "headers": {
                "Cookie": "sessionid=s3ss10n-c00k13",
                "Authorization": "Bearer m3tr1cs-t0k3n",
                "X-CSRFToken": "csrf-t0k3n",
                "User-Agent": "Firefox",
            },
            "data": {"birth_date": "04-07-1985", "email": "anna.de.vries@example.nl"},
        },
        "user": {"id": "7", "email": "anna.de.vries@example.nl", "ip_address": "203.0.113.9"},
        "breadcrumbs": {
            "values": [{"category": "portal.audit", "message": "audit email=anna.de.vries@example.nl"}]
        },
        "tags": {"server": "portal-1"},
    }


def test_before_send_scrubs_addresses_cookies_credentials_bodies_and_the_user():
    scrubbed = sentry.before_send(_event(), {})
    text = json.dumps(scrubbed)
    for secret in ("anna", "s3ss10n", "m3tr1cs", "csrf-t0k3n", "1985", "0123456789abcdef", "203.0.113.9"):
        assert secret not in text, secret
    request = scrubbed["request"]
    assert "cookies" not in request and "data" not in request
    assert request["headers"] == {"User-Agent": "Firefox"}
    assert request["url"] == "https://portal.example.nl/accounts/reset/[redacted]"
    assert scrubbed["user"] == {"id": "7"}
    assert scrubbed["exception"]["values"][0] == {"type": "ValueError", "value": "no account [email]"}
    assert scrubbed["tags"]["server"] == "portal-1"


def test_before_send_tags_the_request_id_of_the_log_lines(monkeypatch):
    monkeypatch.setattr(sentry, "get_guid", lambda: "0123456789abcdef0123456789abcdef")
    assert sentry.before_send(_event())["tags"]["request_id"] == "0123456789abcdef0123456789abcdef"


def test_headers_as_pairs_are_scrubbed_too():
    event = {"request": {"headers": [["Cookie", "a=b"], ["authorization", "x"], ["Accept", "text/html"]]}}
    assert sentry.before_send(event)["request"]["headers"] == [["Accept", "text/html"]]


def test_sentry_starts_with_no_personal_data_and_the_scrubber(monkeypatch):
    options = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: options.update(kwargs))
    sentry.sentry_init(
        dsn="https://key@sentry.example.invalid/1", environment="acceptatie", traces_sample_rate=0.0
    )
    assert options["send_default_pii"] is False and options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert (
        options["before_send"] is sentry.before_send
        and options["before_send_transaction"] is sentry.before_send
    )
    assert (options["environment"], options["traces_sample_rate"]) == ("acceptatie", 0.0)
    assert [type(i).__name__ for i in options["integrations"]] == ["DjangoIntegration"]


@pytest.mark.parametrize("value", [None, 3, 1.5])
def test_values_that_are_no_text_pass_unchanged(value):
    assert sentry.before_send({"extra": {"n": value}})["extra"]["n"] == value
