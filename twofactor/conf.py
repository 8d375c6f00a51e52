"""The twofactor app's own settings, read through one object so tests can override them."""

from pathlib import Path

from django.conf import settings

EU_REGIONS = (
    "NL",
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
)


class TwofactorSettings:
    @property
    def SMS_GATEWAY(self) -> str:  # noqa: N802
        return getattr(settings, "TWOFACTOR_SMS_GATEWAY", "file")

    @property
    def TWILIO_ACCOUNT_SID(self) -> str:  # noqa: N802
        return getattr(settings, "TWOFACTOR_TWILIO_ACCOUNT_SID", "")

    @property
    def TWILIO_AUTH_TOKEN(self) -> str:  # noqa: N802
        return getattr(settings, "TWOFACTOR_TWILIO_AUTH_TOKEN", "")

    @property
    def TWILIO_FROM_NUMBER(self) -> str:  # noqa: N802
        return getattr(settings, "TWOFACTOR_TWILIO_FROM_NUMBER", "")

    @property
    def TWILIO_MESSAGING_SERVICE_SID(self) -> str:  # noqa: N802
        return getattr(settings, "TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID", "")

    @property
    def TWILIO_TIMEOUT(self) -> float:  # noqa: N802
        return getattr(settings, "TWOFACTOR_TWILIO_TIMEOUT", 5)

    @property
    def TWILIO_BASE_URL(self) -> str:  # noqa: N802
        """Empty means Twilio's real API; tests point it at a local stand-in."""
        return getattr(settings, "TWOFACTOR_TWILIO_BASE_URL", "")

    @property
    def SMS_FILE_PATH(self) -> Path:  # noqa: N802
        return Path(getattr(settings, "TWOFACTOR_SMS_FILE_PATH", Path(settings.VAR_DIR) / "sms"))

    @property
    def SMS_CODE_VALIDITY(self) -> int:  # noqa: N802
        return getattr(settings, "TWOFACTOR_SMS_CODE_VALIDITY", 300)

    @property
    def SMS_MAX_WRONG_TRIES(self) -> int:  # noqa: N802
        return getattr(settings, "TWOFACTOR_SMS_MAX_WRONG_TRIES", 5)

    @property
    def SMS_RESEND_COOLDOWN(self) -> int:  # noqa: N802
        return getattr(settings, "TWOFACTOR_SMS_RESEND_COOLDOWN", 60)

    @property
    def SMS_HOURLY_CAP(self) -> int:  # noqa: N802
        return getattr(settings, "TWOFACTOR_SMS_HOURLY_CAP", 5)

    @property
    def SMS_ALLOWED_REGIONS(self) -> tuple[str, ...]:  # noqa: N802
        return tuple(getattr(settings, "TWOFACTOR_SMS_ALLOWED_REGIONS", EU_REGIONS))

    @property
    def TOTP_ISSUER(self) -> str:  # noqa: N802
        return getattr(settings, "TWOFACTOR_TOTP_ISSUER", settings.PORTAL_NAME)

    @property
    def REAUTH_SECONDS(self) -> int:  # noqa: N802
        return getattr(settings, "TWOFACTOR_REAUTH_SECONDS", 300)

    @property
    def PENDING_LOGIN_SECONDS(self) -> int:  # noqa: N802
        return getattr(settings, "TWOFACTOR_PENDING_LOGIN_SECONDS", 600)


app_settings = TwofactorSettings()
