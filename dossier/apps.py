"""The dossier app: employers, the employee's place, trajects, documents and who read them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    name = "dossier"
    verbose_name = _("Dossiers")
