"""SMS gateways behind one small interface, chosen by TWOFACTOR_SMS_GATEWAY (like Django's EMAIL_BACKEND)."""

import logging
import os
import secrets
from datetime import UTC, datetime

import requests
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from twofactor.conf import app_settings

logger = logging.getLogger(__name__)


def mask_number(number: str) -> str:
    """Only the last two digits: enough to tell messages apart in a log, too little to identify anyone."""
    return f"***{number[-2:]}" if len(number) > 4 else "***"


class SMSDeliveryError(Exception):
    """The gateway could not hand the message over. The text never contains the SMS body."""


class BaseGateway:
    def send(self, *, to: str, body: str) -> str:
        """Hand one SMS over; return the provider's message id, or raise SMSDeliveryError."""
        raise NotImplementedError


class FileGateway(BaseGateway):
    """Development and tests: one file per message under TWOFACTOR_SMS_FILE_PATH, readable by the owner only."""

    def send(self, *, to: str, body: str) -> str:
        directory = app_settings.SMS_FILE_PATH
        stem = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"
        path = directory / f"{stem}.txt"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                os.fchmod(fh.fileno(), 0o600)  # the umask may only take bits away; make the mode exact
                fh.write(f"To: {to}\n\n{body}\n")
        except OSError as exc:
            raise SMSDeliveryError(f"could not write the SMS file in {directory}: {exc.strerror}") from exc
        print(f"SMS to {mask_number(to)} written to {path}")
        logger.info("SMS to %s written to %s", mask_number(to), path)
        return stem


class TwilioGateway(BaseGateway):
    """Twilio's Messages API through the official client. `base_url` (or TWOFACTOR_TWILIO_BASE_URL) redirects it."""

    def __init__(self, base_url: str | None = None):
        self.account_sid = app_settings.TWILIO_ACCOUNT_SID
        self.auth_token = app_settings.TWILIO_AUTH_TOKEN
        self.from_number = app_settings.TWILIO_FROM_NUMBER
        self.messaging_service_sid = app_settings.TWILIO_MESSAGING_SERVICE_SID
        if not (self.account_sid and self.auth_token and (self.from_number or self.messaging_service_sid)):
            raise ImproperlyConfigured(
                "The twilio SMS gateway needs TWOFACTOR_TWILIO_ACCOUNT_SID, TWOFACTOR_TWILIO_AUTH_TOKEN and "
                "TWOFACTOR_TWILIO_FROM_NUMBER or TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID."
            )
        self.base_url = base_url or app_settings.TWILIO_BASE_URL or None
        self.timeout = app_settings.TWILIO_TIMEOUT

    def _client(self) -> Client:
        client = Client(self.account_sid, self.auth_token, http_client=TwilioHttpClient(timeout=self.timeout))
        if self.base_url:
            # The Api domain (api.twilio.com) keeps its base as a plain attribute; every Messages URL is built on it.
            client.api.base_url = self.base_url.rstrip("/")
            # TWILIO_EDGE / TWILIO_REGION from the environment would rewrite the host of every request.
            client.edge = client.region = None
        return client

    def send(self, *, to: str, body: str) -> str:
        if self.messaging_service_sid:
            sender = {"messaging_service_sid": self.messaging_service_sid}
        else:
            sender = {"from_": self.from_number}
        try:
            message = self._client().messages.create(to=to, body=body, **sender)
        except TwilioRestException as exc:
            # Twilio's own message may quote the phone number, so only the status and error code travel on.
            reason = f"HTTP {exc.status}, code {exc.code}"
            logger.warning("Twilio refused the SMS to %s: %s", mask_number(to), reason)
            raise SMSDeliveryError(f"Twilio refused the message ({reason})") from None
        except (TwilioException, requests.RequestException, OSError) as exc:
            logger.warning("Twilio unreachable for the SMS to %s: %s", mask_number(to), type(exc).__name__)
            raise SMSDeliveryError(f"Twilio could not be reached ({type(exc).__name__})") from exc
        logger.info("SMS to %s handed to Twilio as %s (%s)", mask_number(to), message.sid, message.status)
        return message.sid


def get_gateway() -> BaseGateway:
    """The gateway named by TWOFACTOR_SMS_GATEWAY: "twilio", "file" or a dotted path to a BaseGateway class."""
    choice = app_settings.SMS_GATEWAY
    if choice == "twilio":
        return TwilioGateway()
    if choice == "file":
        return FileGateway()
    try:
        gateway_class = import_string(choice)
    except ImportError as exc:
        raise ImproperlyConfigured(f"TWOFACTOR_SMS_GATEWAY={choice!r} cannot be imported") from exc
    if not (isinstance(gateway_class, type) and issubclass(gateway_class, BaseGateway)):
        raise ImproperlyConfigured(f"TWOFACTOR_SMS_GATEWAY={choice!r} is not a BaseGateway subclass")
    return gateway_class()
