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

The access log never holds a link with a token: the paths of /accounts/reset/, /accounts/activate/ and
/accounts/contact-change/ are redacted.
"""

import os
import re

from gunicorn.glogging import Logger


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
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Heartbeat files in memory, not on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - tmpfs, not shared files

# Links that carry a token: password reset, invitation (activation, valid for days), contact-change confirmation.
TOKEN_PATH = re.compile(r"/accounts/(reset|activate|contact-change)/[^\s?#]+")


def redact(text):
    """The request line or path without the token of a reset, invitation or confirmation link."""
    return TOKEN_PATH.sub(r"/accounts/\1/[redacted]", text) if isinstance(text, str) else text


class RedactingLogger(Logger):
    """gunicorn's logger, with reset links taken out of the request line, path and referrer."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            atoms[key] = redact(atoms.get(key))
        return atoms


logger_class = RedactingLogger
