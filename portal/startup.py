"""Start-up refusals with DEBUG off: settings that would let the portal start and then fail every page or download.

Run by gunicorn's WSGI entry point (portal/wsgi.py) before it serves anything, and by `manage.py check` and every
management command that runs the system checks (tag "portal"). collectstatic runs only the staticfiles checks, so
it can still build the manifest this refuses to start without.
"""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string

SENDFILE_MODES = ("", "nginx", "sendfile")
logger = logging.getLogger(__name__)


def _is_subclass(backend: str, base: type) -> bool:
    try:
        return issubclass(import_string(backend), base)
    except ImportError:
        return False


def _manifest_has_paths(manifest: Path) -> bool:
    try:
        return bool(json.loads(manifest.read_text()).get("paths"))
    except (OSError, ValueError, AttributeError):
        return False


def production_problems() -> list[str]:
    """What makes this configuration unable to serve pages or documents; empty with DEBUG on."""
    if settings.DEBUG:
        return []
    from django.contrib.staticfiles.storage import ManifestFilesMixin

    problems = []
    if _is_subclass(settings.STORAGES["staticfiles"]["BACKEND"], ManifestFilesMixin):
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if not _manifest_has_paths(manifest):
            problems.append(
                f"STATIC_ROOT={settings.STATIC_ROOT} holds no staticfiles.json: every page would answer 500. "
                "Run `manage.py collectstatic` into it, or point STATIC_ROOT at the folder the image collected "
                "into (/app/staticfiles)."
            )
    mode = settings.DOSSIER_SENDFILE
    local = _is_subclass(settings.STORAGES["documents"]["BACKEND"], FileSystemStorage)
    if mode not in SENDFILE_MODES:
        problems.append(f"DOCUMENT_SENDFILE={mode!r} is not one of '', 'nginx', 'sendfile'.")
    elif mode == "sendfile" and not local:
        problems.append(
            "DOCUMENT_SENDFILE=sendfile needs a local file path, and the documents are in S3 storage: use "
            "DOCUMENT_SENDFILE=nginx (nginx streams from the object store, see deploy/nginx) or ''."
        )
    elif mode == "nginx" and not local:
        options = settings.STORAGES["documents"].get("OPTIONS", {})
        if not options.get("endpoint_url"):
            problems.append(
                "DOCUMENT_SENDFILE=nginx with S3 storage needs DOCUMENTS_S3_ENDPOINT_URL: nginx's internal "
                "location proxies to that endpoint, and the pre-signed URL must be signed for the same host."
            )
        if options.get("addressing_style") != "path":
            problems.append("DOCUMENT_SENDFILE=nginx with S3 storage needs path-style addressing.")
    if mode and not settings.DOSSIER_ACCEL_PREFIX.startswith("/"):
        problems.append("DOCUMENT_ACCEL_PREFIX must be an absolute path such as /protected-documents/.")
    from twofactor.passkeys import current_relying_party_problems  # passkeys: RP id and origins

    problems.extend(current_relying_party_problems())
    return problems


@checks.register("portal")
def check_production(app_configs=None, **kwargs):
    return [checks.Error(problem, id="portal.E001") for problem in production_problems()]


def refuse_unready_start() -> None:
    """With DEBUG off, an app server whose database or cache does not answer at start does not start (called by
    portal/wsgi.py; every page needs both, while the document storage fails documents only and stays /healthz/'s):
    gunicorn stops, the orchestrator restarts it, and nginx sends its traffic to the other servers meanwhile (a
    refused connection is retried elsewhere, POSTs too), instead of a server that starts anyway and answers every
    page with 500 while /healthz/ says 503."""
    if settings.DEBUG:
        return
    from portal.health import CHECKS

    failed = []
    for name in ("database", "cache"):
        try:
            CHECKS[name]()
        except Exception:  # noqa: BLE001 - any failure of a dependency means "not ready"
            logger.exception("start-up: %s unavailable", name)
            failed.append(name)
    if failed:
        raise ImproperlyConfigured(
            "Refusing to start: not ready: " + ", ".join(failed) + " (see the log above)"
        )


def refuse_broken_production() -> None:
    """Raise before serving when the configuration cannot work (called by portal/wsgi.py)."""
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured("Refusing to start:\n- " + "\n- ".join(problems))
