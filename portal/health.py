"""Health check for the container and the load balancer: 200 only when every part a page needs answers.

Checks the database, the cache (sessions' rules, throttles), the static manifest the pages' tags need (with
DEBUG off), and the private document storage. Any one missing answers 503 naming the failed parts (never why:
the reason goes to the log), so a container whose pages would all fail is not reported healthy.
"""

import logging
import os
from pathlib import Path

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)
CACHE_KEY = "portal.healthz"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set(CACHE_KEY, "1", timeout=30)
    if cache.get(CACHE_KEY) != "1":
        raise RuntimeError("the cache did not return what was just stored")


def _static() -> None:
    storage = storages["staticfiles"]
    # What this process serves: the manifest read at start-up. A manifest written later is not seen until a restart.
    if isinstance(storage, ManifestFilesMixin) and not storage.hashed_files:
        raise RuntimeError(f"no static manifest in {storage.location} (run collectstatic)")


def _documents() -> None:
    storage = storages["documents"]
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location)
        location.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(location, os.W_OK | os.X_OK):
            raise RuntimeError(f"{location} is not writable")
        return
    bucket = getattr(storage, "bucket_name", None)
    if bucket:  # S3: the bucket exists and these credentials may use it
        storage.connection.meta.client.head_bucket(Bucket=bucket)
    else:
        storage.exists(".healthz")


CHECKS = {"database": _database, "cache": _cache, "static": _static, "documents": _documents}


@never_cache
def healthz(request):
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure of a dependency means "not healthy"
            logger.exception("healthz: %s unavailable", name)
            failed.append(name)
    if failed:
        return HttpResponse("unavailable: " + ", ".join(failed), content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")
