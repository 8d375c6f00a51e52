"""The dossier app: employers, the employee's place, trajects, documents and who read them."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    default = True
    name = "dossier"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        import dossier.events  # noqa: F401 - registers the audit event kinds
        from core import worker
        from dossier import page_cache
        from dossier.exports import export_worker_job

        page_cache.connect()
        # Issue 13: the worker (`send_notifications --loop`) also expires and builds the dossier exports.
        worker.register("dossier_exports", export_worker_job)


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the Web Portaal (an OTP admin site that logs what staff see) as the default site."""

    default = False
    default_site = "dossier.admin_site.PortalAdminSite"
