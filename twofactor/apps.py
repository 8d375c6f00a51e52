"""The twofactor app: SMS and authenticator-app devices, enrolment, verification and Mijn Instellingen."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TwofactorConfig(AppConfig):
    default = True
    name = "twofactor"
    verbose_name = _("Two-factor authentication")


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the OTP admin site as the default site."""

    default = False
    default_site = "twofactor.admin_site.PortalAdminSite"
