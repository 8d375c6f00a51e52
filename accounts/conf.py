"""The accounts app's own settings, read through one object so tests can override them."""

from django.conf import settings


class AccountsSettings:
    @property
    def RESET_LIMIT_PER_IP(self) -> tuple[int, int]:  # noqa: N802
        return getattr(settings, "ACCOUNTS_RESET_LIMIT_PER_IP", (10, 3600))

    @property
    def RESET_LIMIT_PER_EMAIL(self) -> tuple[int, int]:  # noqa: N802
        return getattr(settings, "ACCOUNTS_RESET_LIMIT_PER_EMAIL", (3, 3600))

    @property
    def INVITATION_TIMEOUT(self) -> int:  # noqa: N802 - seconds an invitation (activation) link lives
        return getattr(settings, "ACCOUNTS_INVITATION_TIMEOUT", 7 * 24 * 3600)

    @property
    def CONTACT_CHANGE_LINK_TIMEOUT(self) -> int:  # noqa: N802 - seconds the "confirm this change" link lives
        return getattr(settings, "ACCOUNTS_CONTACT_CHANGE_LINK_TIMEOUT", 14 * 24 * 3600)


app_settings = AccountsSettings()
