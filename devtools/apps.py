"""The dev-only app: portal/settings/base.py installs it with DEBUG on only (DEV_APPS), so production has none of it."""

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "devtools"
    verbose_name = "Development tools"
