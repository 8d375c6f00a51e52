"""WSGI entry point for gunicorn: refuses to serve a configuration that cannot work (portal/startup.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

application = get_wsgi_application()

from portal.startup import refuse_broken_production, refuse_unready_start  # noqa: E402 - needs the apps loaded

refuse_broken_production()
refuse_unready_start()
