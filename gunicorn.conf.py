"""gunicorn settings from the environment (gunicorn reads ./gunicorn.conf.py by itself; the image runs from /app).

    GUNICORN_BIND             address:port to listen on              127.0.0.1:8000 (the image sets 0.0.0.0:8000)
    GUNICORN_WORKERS          worker processes                       2 x CPUs + 1 (gunicorn's advice)
    GUNICORN_THREADS          threads per worker (>1: gthread)       1
    GUNICORN_TIMEOUT          seconds before a silent worker is killed and restarted          30
    GUNICORN_GRACEFUL_TIMEOUT seconds a worker gets to finish its requests on restart         30
    GUNICORN_KEEPALIVE        seconds an idle keep-alive connection from nginx stays open     5
    GUNICORN_ACCESS_LOG       file for the access log, "-" for stdout, "" for none            -
    FORWARDED_ALLOW_IPS       proxy addresses or networks whose X-Forwarded-Proto is believed 127.0.0.1,::1
                              (Django reads the same variable for X-Forwarded-For; README "Proxy trust")
    LOG_FORMAT                json (one object a line, as the portal's own lines) or text     json; text with DEBUG
    PROMETHEUS_MULTIPROC_DIR  folder where each worker keeps its metrics (core/metrics.py)   unset

The access log never holds a link with a token: the paths of /accounts/reset/, /accounts/activate/ and
/accounts/contact-change/ are redacted, and so is any e-mail address (a query string's ?email=). Each access line
carries the request id the portal answered with (X-Request-ID, nginx's $request_id).
"""

import logging
import os
import sys
import traceback

from gunicorn.glogging import Logger

from core import logs
from portal.settings.env import env_log_format


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [os.environ.get("GUNICORN_BIND", "").strip() or "127.0.0.1:8000"]
# gunicorn's advice for sync workers: (2 x cores) + 1. The CPUs this process may run on (a container's cpuset), not
# the host's; with a CPU quota instead, set GUNICORN_WORKERS.
workers = _int("GUNICORN_WORKERS", 2 * len(os.sched_getaffinity(0)) + 1)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1,::1"
# Only the header our nginx sets (and overwrites): a client's X-Forwarded-Ssl or -Protocol means nothing.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-request-id}o)s'
LOG_FORMAT = env_log_format()
# Heartbeat files in memory, not on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - tmpfs, not shared files


class RedactingLogger(Logger):
    """gunicorn's logger: reset links out of the request line, path and referrer; every line through the portal's
    redaction, and one JSON object each unless LOG_FORMAT=text."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            # "-" means stderr for gunicorn's error log; on stdout, as every other line of the portal.
            if type(handler) is logging.StreamHandler:
                handler.setStream(sys.stdout)
            handler.addFilter(logs.RedactFilter())
            if LOG_FORMAT == "json":
                handler.setFormatter(logs.JsonLineFormatter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            atoms[key] = logs.redact(atoms.get(key))
        return atoms

    def access(self, resp, req, environ, request_time):
        """gunicorn's access line (access_log_format), with its parts as fields of the JSON object."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        query, status = atoms.get("q"), str(atoms.get("s"))
        fields = {
            "request_id": atoms.get("{x-request-id}o"),
            "remote_addr": atoms.get("h"),
            "method": atoms.get("m"),
            "path": logs.redact((atoms.get("U") or "") + (f"?{query}" if query else "")),
            "status": int(status) if status.isdigit() else status,
            "bytes": atoms.get("B"),
            "duration_ms": atoms.get("M"),
            "referer": atoms.get("f"),
            "user_agent": atoms.get("a"),
        }
        try:
            self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms), extra=fields)
        except Exception:  # noqa: BLE001 - as gunicorn's own: a broken line never fails the request
            self.error(traceback.format_exc())


logger_class = RedactingLogger


def on_starting(server):
    """Metrics of a previous run of this server are gone before the first worker counts (multiprocess mode)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    """A stopped worker's live gauges no longer count (prometheus_client's multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
