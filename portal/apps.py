"""The portal project as an app: it only registers the start-up checks (portal/startup.py)."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Verzuimportaal"

    def ready(self) -> None:
        from portal import startup  # noqa: F401 - registers the system check
