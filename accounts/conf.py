"""The accounts app's own settings, read through one object so tests can override them."""

from django.conf import settings


class AccountsSettings:
    @property
    def MAIL_DELIVERY(self) -> str:  # noqa: N802
        return getattr(settings, "ACCOUNTS_MAIL_DELIVERY", "worker")

    @property
    def MAIL_MAX_ATTEMPTS(self) -> int:  # noqa: N802
        return getattr(settings, "ACCOUNTS_MAIL_MAX_ATTEMPTS", 12)

    @property
    def RESET_LIMIT_PER_IP(self) -> tuple[int, int]:  # noqa: N802
        return getattr(settings, "ACCOUNTS_RESET_LIMIT_PER_IP", (10, 3600))

    @property
    def RESET_LIMIT_PER_EMAIL(self) -> tuple[int, int]:  # noqa: N802
        return getattr(settings, "ACCOUNTS_RESET_LIMIT_PER_EMAIL", (3, 3600))

    @property
    def TRUSTED_PROXY_COUNT(self) -> int:  # noqa: N802
        return getattr(settings, "TRUSTED_PROXY_COUNT", 0)

    @property
    def TRUSTED_PROXY_IPS(self) -> list[str]:  # noqa: N802
        return getattr(settings, "TRUSTED_PROXY_IPS", ["127.0.0.1", "::1"])


app_settings = AccountsSettings()
