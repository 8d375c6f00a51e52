"""SMS gateways: the real twilio client against a local stand-in, the file gateway, and the choice by setting."""

import logging
import re
import stat
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import free_port
from twofactor.conf import app_settings
from twofactor.gateways import (
    BaseGateway,
    FileGateway,
    SMSDeliveryError,
    TwilioGateway,
    get_gateway,
)

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
SERVICE_SID = "MG" + "fedcba9876543210" * 2
TO = "+31612345678"
BODY = "Uw verificatiecode is 482913"


class RecordingGateway(BaseGateway):
    def send(self, *, to, body):
        return "recorded"


@pytest.fixture
def twilio_settings(settings):
    settings.TWOFACTOR_TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWOFACTOR_TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWOFACTOR_TWILIO_FROM_NUMBER = "+3197010000000"
    settings.TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID = ""
    return settings


def test_twilio_gateway_from_number_posts_to_messages_api_and_returns_sid(twilio_settings, twilio_api):
    twilio_settings.TWOFACTOR_TWILIO_BASE_URL = twilio_api.base_url

    sid = TwilioGateway().send(to=TO, body=BODY)

    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    assert twilio_api.requests == [
        {
            "path": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            "account_sid": ACCOUNT_SID,
            "To": TO,
            "From": "+3197010000000",
            "Body": BODY,
            "MessagingServiceSid": None,
        }
    ]


def test_twilio_gateway_messaging_service_set_sends_service_sid_instead_of_from(twilio_settings, twilio_api):
    twilio_settings.TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID = SERVICE_SID

    TwilioGateway(base_url=twilio_api.base_url).send(to=TO, body=BODY)

    (received,) = twilio_api.requests
    assert received["MessagingServiceSid"] == SERVICE_SID
    assert received["From"] is None
    assert (received["To"], received["Body"], received["account_sid"]) == (TO, BODY, ACCOUNT_SID)


def test_twilio_gateway_server_error_raises_delivery_error_without_body(twilio_settings, twilio_api):
    twilio_api.mode = "error500"

    with pytest.raises(SMSDeliveryError) as excinfo:
        TwilioGateway(base_url=twilio_api.base_url).send(to=TO, body=BODY)

    assert "500" in str(excinfo.value)
    assert "482913" not in str(excinfo.value) and TO not in str(excinfo.value)
    assert len(twilio_api.requests) == 1


def test_twilio_gateway_slow_api_raises_delivery_error_after_timeout(twilio_settings, twilio_api):
    twilio_settings.TWOFACTOR_TWILIO_TIMEOUT = 1
    twilio_api.mode, twilio_api.slow_seconds = "slow", 3

    started = time.monotonic()
    with pytest.raises(SMSDeliveryError) as excinfo:
        TwilioGateway(base_url=twilio_api.base_url).send(to=TO, body=BODY)
    elapsed = time.monotonic() - started

    assert 0.9 < elapsed < 2.5
    assert "Timeout" in str(excinfo.value)
    assert len(twilio_api.requests) == 1


def test_twilio_gateway_nothing_listening_raises_delivery_error(twilio_settings):
    gateway = TwilioGateway(base_url=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(SMSDeliveryError, match="could not be reached"):
        gateway.send(to=TO, body=BODY)


def test_twilio_gateway_send_logs_neither_body_nor_full_number(twilio_settings, twilio_api, caplog):
    gateway = TwilioGateway(base_url=twilio_api.base_url)
    with caplog.at_level(logging.DEBUG):
        sid = gateway.send(to=TO, body=BODY)
        twilio_api.mode = "error500"
        with pytest.raises(SMSDeliveryError):
            gateway.send(to=TO, body=BODY)

    gateway_lines = [r.getMessage() for r in caplog.records if r.name == "twofactor.gateways"]
    assert len(gateway_lines) == 2 and sid in gateway_lines[0] and "***78" in gateway_lines[0]
    assert "482913" not in caplog.text and TO not in caplog.text


def test_file_gateway_two_messages_writes_two_private_files(settings, tmp_path, capsys):
    settings.TWOFACTOR_SMS_FILE_PATH = tmp_path / "nested" / "sms"
    gateway = FileGateway()

    first = gateway.send(to=TO, body=BODY)
    second = gateway.send(to="+32470123456", body="Code 111222")

    files = sorted((tmp_path / "nested" / "sms").iterdir())
    assert [f.stem for f in files] == sorted([first, second])
    for f in files:
        assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{8}\.txt", f.name)
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    by_stem = {f.stem: f.read_text(encoding="utf-8") for f in files}
    assert by_stem[first] == f"To: {TO}\n\n{BODY}\n"
    assert by_stem[second] == "To: +32470123456\n\nCode 111222\n"
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and f"{first}.txt" in out[0]
    assert "482913" not in out[0]


def test_file_gateway_path_is_a_file_raises_delivery_error(settings, tmp_path):
    blocker = tmp_path / "sms"
    blocker.write_text("not a directory")
    settings.TWOFACTOR_SMS_FILE_PATH = blocker / "inside"

    with pytest.raises(SMSDeliveryError) as excinfo:
        FileGateway().send(to=TO, body=BODY)

    assert "482913" not in str(excinfo.value)


def test_get_gateway_default_setting_returns_file_gateway(settings):
    del settings.TWOFACTOR_SMS_GATEWAY

    assert type(get_gateway()) is FileGateway


def test_get_gateway_twilio_setting_returns_configured_twilio_gateway(twilio_settings):
    twilio_settings.TWOFACTOR_SMS_GATEWAY = "twilio"

    gateway = get_gateway()

    assert type(gateway) is TwilioGateway
    assert (gateway.account_sid, gateway.from_number) == (ACCOUNT_SID, "+3197010000000")


def test_get_gateway_dotted_path_returns_that_class(settings):
    settings.TWOFACTOR_SMS_GATEWAY = "tests.twofactor.test_gateways.RecordingGateway"

    gateway = get_gateway()

    assert type(gateway) is RecordingGateway and gateway.send(to=TO, body=BODY) == "recorded"


@pytest.mark.parametrize("path", ["tests.twofactor.nowhere.Gateway", "tests.twofactor.test_gateways.TO"])
def test_get_gateway_bad_dotted_path_raises_improperly_configured(settings, path):
    settings.TWOFACTOR_SMS_GATEWAY = path

    with pytest.raises(ImproperlyConfigured):
        get_gateway()


@pytest.mark.parametrize(
    "missing",
    [
        ["TWOFACTOR_TWILIO_ACCOUNT_SID"],
        ["TWOFACTOR_TWILIO_AUTH_TOKEN"],
        ["TWOFACTOR_TWILIO_FROM_NUMBER", "TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID"],
    ],
)
def test_get_gateway_twilio_without_credentials_raises_improperly_configured(twilio_settings, missing):
    twilio_settings.TWOFACTOR_SMS_GATEWAY = "twilio"
    for name in missing:
        setattr(twilio_settings, name, "")

    with pytest.raises(ImproperlyConfigured, match="TWOFACTOR_TWILIO"):
        get_gateway()


def test_get_gateway_twilio_messaging_service_without_from_number_is_accepted(twilio_settings):
    twilio_settings.TWOFACTOR_SMS_GATEWAY = "twilio"
    twilio_settings.TWOFACTOR_TWILIO_FROM_NUMBER = ""
    twilio_settings.TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID = SERVICE_SID

    assert get_gateway().messaging_service_sid == SERVICE_SID


def test_app_settings_unset_returns_documented_defaults(settings):
    assert app_settings.SMS_GATEWAY == "file"
    assert app_settings.TWILIO_TIMEOUT == 5 and app_settings.TWILIO_BASE_URL == ""
    assert app_settings.SMS_FILE_PATH == settings.VAR_DIR / "sms"
    regions = app_settings.SMS_ALLOWED_REGIONS
    assert len(set(regions)) == 27 and {"NL", "AT", "DE", "SK"} <= set(regions)
    assert app_settings.TOTP_ISSUER == settings.PORTAL_NAME
    assert app_settings.SMS_CODE_VALIDITY == 300 and app_settings.SMS_MAX_WRONG_TRIES == 5
    assert app_settings.REAUTH_SECONDS == 300 and app_settings.PENDING_LOGIN_SECONDS == 600
