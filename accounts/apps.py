"""The accounts app: users, login, password reset, sessions, outgoing mail."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import captcha, events  # noqa: F401 - registers the audit event kinds

        captcha.install_local_verification()
