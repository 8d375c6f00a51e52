"""Health: liveness, readiness, and the dependencies every server shares. Each answer is 200 "ok" or 503 naming the
failed checks (never why: the reason goes to the log).

    /healthz/live/   the process answers; nothing else is asked.
    /healthz/ready/  this server can serve pages: the database, the cache (sessions, login limits) and the static
                     manifest. The container's health check reads it, so compose starts nginx after it.
    /healthz/        ready, plus what all servers share and a page does not need at once: the document store and
                     the mail backlog (the oldest pending mail older than HEALTH_MAIL_BACKLOG_MINUTES). For
                     monitoring. Not part of readiness: an outage of the store or of SMTP would mark every server
                     unready at once and keep nginx from starting, while the pages still work.

The probes run at the same time, each in a thread of its own, and the answer waits for each at most
HEALTH_PROBE_TIMEOUT seconds, so it comes in that time whatever hangs. The probes have time-outs of their own too
(database connect_timeout, Redis socket time-outs, S3 connect and read time-outs without retries), so a thread does
not hang on after the answer.
"""

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from pathlib import Path

from botocore.config import Config
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.mailer import mail_oldest_pending_at

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


_s3_probe: tuple = (
    None,
    None,
    None,
)  # the documents storage, the time-out, and the probe's copy of the storage


def _s3_probe_storage(storage):
    """The documents storage with a probe's client: connect and read time-outs, and a single attempt."""
    global _s3_probe
    timeout = settings.HEALTH_PROBE_TIMEOUT
    if _s3_probe[0] is not storage or _s3_probe[1] != timeout:
        config = storage.client_config.merge(
            Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1})
        )
        options = settings.STORAGES["documents"].get("OPTIONS", {})
        _s3_probe = (storage, timeout, type(storage)(**{**options, "client_config": config}))
    return _s3_probe[2]


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
        _s3_probe_storage(storage).connection.meta.client.head_bucket(Bucket=bucket)
    else:
        storage.exists(".healthz")


def _mail() -> None:
    oldest = mail_oldest_pending_at()
    limit = timedelta(minutes=settings.HEALTH_MAIL_BACKLOG_MINUTES)
    if oldest is not None and timezone.now() - oldest > limit:
        raise RuntimeError(f"the oldest pending mail was queued at {oldest:%Y-%m-%d %H:%M:%S%z}")


CHECKS = {
    "database": _database,
    "cache": _cache,
    "static": _static,
    "documents": _documents,
    "mail": _mail,
}
READY = ("database", "cache", "static")

_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    # Made at first use, so in each gunicorn worker after the fork. Room for a second round of probes while the
    # threads of a first one still wait for their own time-outs.
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2 * len(CHECKS), thread_name_prefix="healthz")
    return _pool


def _probe(check) -> None:
    try:
        check()
    finally:
        connection.close()  # the probe thread's own connection: nothing kept between probes


def failed_checks(names) -> list[str]:
    """The checks among `names` that failed or did not answer within HEALTH_PROBE_TIMEOUT seconds."""
    timeout = settings.HEALTH_PROBE_TIMEOUT
    futures = {name: _executor().submit(_probe, CHECKS[name]) for name in names}
    deadline = time.monotonic() + timeout
    failed = []
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            future.cancel()
            logger.error("healthz: %s did not answer within %s s", name, timeout)
            failed.append(name)
        except Exception:  # noqa: BLE001 - any failure of a dependency means "not healthy"
            logger.exception("healthz: %s unavailable", name)
            failed.append(name)
    return failed


def _answer(names) -> HttpResponse:
    failed = failed_checks(names)
    if failed:
        return HttpResponse("unavailable: " + ", ".join(failed), content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def live(request):
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def ready(request):
    return _answer(READY)


@never_cache
def healthz(request):
    return _answer(CHECKS)
