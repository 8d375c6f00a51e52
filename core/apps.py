"""The bottom floor: what every app of the portal uses (audit events, the mail outbox, throttles and the trusted
client address, safe redirects, the site URL, the append-only base). It imports no other app of the portal."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Logs and outbox")
