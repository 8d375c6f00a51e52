"""The accounts app's own settings, read through one object so tests can override them."""

from django.conf import settings


class AccountsSettings:
    @property
    def RESET_LIMIT_PER_IP(self) -> tuple[int, int]:  # noqa: N802
        return getattr(settings, "ACCOUNTS_RESET_LIMIT_PER_IP", (10, 3600))

    @property
    def RESET_LIMIT_PER_EMAIL(self) -> tuple[int, int]:  # noqa: N802
        return getattr(settings, "ACCOUNTS_RESET_LIMIT_PER_EMAIL", (3, 3600))


app_settings = AccountsSettings()
