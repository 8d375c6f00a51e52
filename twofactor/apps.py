"""The twofactor app: SMS and authenticator-app devices, enrolment, verification and Mijn Instellingen."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwofactorConfig(AppConfig):
    default = True
    name = "twofactor"
    verbose_name = _("Two-factor authentication")

    def ready(self) -> None:
        from twofactor import events  # noqa: F401 - registers the audit event kinds
