"""The accounts app: users, login, password reset, sessions, outgoing mail."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import captcha, events  # noqa: F401 - registers the audit event kinds

        captcha.install_local_verification()

        from django.contrib.auth.signals import user_logged_in

        from accounts.services import user_logged_in_recorded

        # Django's receiver writes last_login alone; ours writes it with the login event, in one round trip.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(user_logged_in_recorded, dispatch_uid="accounts.user_logged_in_recorded")
