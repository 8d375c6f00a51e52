"""The twofactor app: SMS and authenticator-app devices, enrolment, verification and Mijn Instellingen."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwofactorConfig(AppConfig):
    default = True
    name = "twofactor"
    verbose_name = _("Two-factor authentication")

    def ready(self) -> None:
        from django.core import checks

        from twofactor import events  # noqa: F401 - registers the audit event kinds
        from twofactor.passkeys import check_relying_party

        checks.register(check_relying_party, checks.Tags.security)
