#!/usr/bin/env python3
"""Load test of the employee flow (password, TOTP, dossier, one document, logout) on gunicorn, PostgreSQL, Redis.

Run from the project folder with the project's venv (see bench/README.md):

    .venv/bin/python bench/load.py                              # C=100 clients for D=60 s
    .venv/bin/python bench/load.py --clients 20 --duration 15

What it does, all on this machine (loopback only):
  1. drops and recreates a throwaway PostgreSQL database (portal_load) and flushes Redis db 9;
  2. with DEBUG=1: `manage.py migrate` and `manage.py bench_users --count 400 --documents 20 --clear`
     (a temporary VAR_DIR), then with the production settings `manage.py collectstatic`;
  3. starts gunicorn (2 sync workers) with DEBUG=0 and the production-required settings filled with local
     values; the session and CSRF cookies are then Secure, so the client keeps its own cookies;
  4. one login as a smoke test, a few flows with one client (service times), then C client threads for D seconds,
     each looping over the whole flow with stdlib http.client, one connection per request:
       GET /accounts/login/, POST the password, GET /twofactor/ (-> verify), GET /twofactor/verify/,
       POST the TOTP code, GET /dossier/, GET one /dossier/documents/<uuid>/, POST /accounts/logout/.
     A TOTP code works once per 30 s step (django-otp refuses a step at or below the device's last one), so
     users are handed out round-robin and a user is taken again only in a later step; time spent waiting for
     such a user is reported;
  5. a lockout check: six wrong passwords for one user, sent two at a time so both workers get some (the access
     log says which worker served which), then the right password, which must be refused;
  6. stops gunicorn by its PID (also on an error or Ctrl-C), drops the database, flushes Redis db 9.
Prints a table; the last lines are the figures `rps`, `p50_ms`, `p95_ms`, `errors_5xx` and
`lockout_across_workers: ok|FAILED`. Exits 0 when a check fails (it is printed); 1 when the bench itself could not
run (set-up failed, or the smoke login did not get through).

The one deviation from the production settings: a settings module in the temporary folder imports
portal.settings.base and points STATIC_ROOT into that folder, so collectstatic does not write into the work tree.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import itertools
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection, HTTPException
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

from devtools.management.commands.bench_users import BENCH_PASSWORD, bench_email, bench_secret  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PREFIX = "bench"
STEP = 30  # TOTP time step in seconds
CLK_TCK = os.sysconf("SC_CLK_TCK")
ACCESS_LOG_FORMAT = "%(p)s %(s)s %(M)s %({x-bench}i)s"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DOCUMENT_RE = re.compile(r'href="(/dossier/documents/[0-9a-f-]{36}/)"')
ALERT_RE = re.compile(r'role="alert"[^>]*>(.*?)</(?:div|p|ul|section)>', re.S)

# The flow, in order (Flow.run says what each answer must be): phase name, label for the table.
PHASES = [
    ("login_get", "GET  /accounts/login/"),
    ("login_post", "POST /accounts/login/"),
    ("twofactor_start", "GET  /twofactor/?next="),
    ("verify_get", "GET  /twofactor/verify/"),
    ("verify_post", "POST /twofactor/verify/"),
    ("dossier", "GET  /dossier/"),
    ("document", "GET  /dossier/documents/<id>/"),
    ("logout", "POST /accounts/logout/"),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(Exception):
    """The bench itself cannot go on (set-up, smoke login)."""


# ----------------------------------------------------------------------------------------------- HTTP client
class Resp:
    __slots__ = ("status", "headers", "body", "elapsed")

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Http:
    """One new connection per request (gunicorn's sync workers close it after each response anyway)."""

    def __init__(self, base_url: str, timeout: float = 120.0):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise ValueError("load is only ever sent to this machine's loopback over http")
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout

    def request(
        self, method: str, path: str, *, jar: dict, fields: dict | None = None, tag: str = ""
    ) -> Resp:
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "portal-load/1", "X-Bench": tag or "-"}
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        body = None
        if fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn = HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
        finally:
            conn.close()
        resp = Resp()
        resp.elapsed = time.perf_counter() - started
        resp.status, resp.headers, resp.body = raw.status, raw.headers, data
        update_jar(jar, raw.headers.get_all("Set-Cookie") or [])
        return resp


def update_jar(jar: dict, set_cookies: list[str]) -> None:
    """Keep every cookie whatever its Secure flag (the bench talks plain http to loopback); drop deleted ones."""
    for raw in set_cookies:
        cookie = SimpleCookie()
        try:
            cookie.load(raw)
        except CookieError:
            continue
        for name, morsel in cookie.items():
            if morsel.value == "" or morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                jar.pop(name, None)
            else:
                jar[name] = morsel.value


# ----------------------------------------------------------------------------------------------- users and codes
class UserPool:
    """Bench users round-robin; a user is handed out again only once its last TOTP step has passed.

    Each user is held by one client at a time. The code sent is always the current step's, so the device's drift
    (django-otp re-syncs it on every match) stays at 0 or -1 and the code is accepted within the ±1 step window.
    """

    def __init__(self, count: int, prefix: str = PREFIX):
        import pyotp

        self.prefix = prefix
        self.queue = collections.deque(range(count))
        self.next_step = [0] * count
        self.totp = [pyotp.TOTP(bench_secret(prefix, i)) for i in range(count)]
        self.lock = threading.Lock()
        self.wait_s = 0.0

    def acquire(self, deadline: float) -> int | None:
        started = time.perf_counter()
        try:
            while time.perf_counter() < deadline:
                with self.lock:
                    step = int(time.time() // STEP)
                    for _ in range(len(self.queue)):
                        i = self.queue.popleft()
                        if self.next_step[i] <= step:
                            return i
                        self.queue.append(i)
                time.sleep(0.05)
            return None
        finally:
            with self.lock:
                self.wait_s += time.perf_counter() - started

    def code(self, i: int) -> str:
        """The current code of user i, marked spent (called right before the verify POST)."""
        now = time.time()
        self.next_step[i] = int(now // STEP) + 1
        return self.totp[i].at(now)

    def release(self, i: int) -> None:
        with self.lock:
            self.queue.append(i)

    def email(self, i: int) -> str:
        return bench_email(self.prefix, i)


# ----------------------------------------------------------------------------------------------- the flow
class Stats:
    """Per phase: latencies of every answer, status counts, expected answers, transport errors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)
        self.statuses = collections.defaultdict(collections.Counter)
        self.ok = collections.Counter()
        self.exceptions = collections.Counter()
        self.samples = []  # a few unexpected answers, for the report
        self.flows = 0

    def add(self, phase: str, resp: Resp, ok: bool, note: str = "") -> None:
        with self.lock:
            self.latency[phase].append(resp.elapsed)
            self.statuses[phase][resp.status] += 1
            if ok:
                self.ok[phase] += 1
            elif len(self.samples) < 8:
                self.samples.append(f"{phase}: {resp.status} {note}".strip())

    def note(self, text: str) -> None:
        with self.lock:
            if len(self.samples) < 8:
                self.samples.append(text)

    def error(self, phase: str, exc: Exception) -> None:
        with self.lock:
            self.exceptions[phase] += 1
            if len(self.samples) < 8:
                self.samples.append(f"{phase}: {type(exc).__name__}: {exc}")


class Flow:
    """One client's loop body: the whole login-to-logout flow for one user, stopping at the first surprise."""

    def __init__(self, http: Http, users: UserPool, stats: Stats):
        self.http, self.users, self.stats = http, users, stats

    def _step(self, phase, method, path, jar, fields=None, *, expect, location=None):
        try:
            resp = self.http.request(method, path, jar=jar, fields=fields, tag=phase)
        except (OSError, HTTPException) as exc:  # refused, reset, timed out, a broken answer
            self.stats.error(phase, exc)
            return None
        where = resp.headers.get("Location") or ""
        ok = resp.status == expect and (location is None or where.startswith(location))
        self.stats.add(phase, resp, ok, where)
        return resp if ok else None

    def run(self, i: int, deadline: float) -> bool:
        jar: dict = {}

        def go(*args, **kwargs):
            return None if time.perf_counter() >= deadline else self._step(*args, **kwargs)

        r = go("login_get", "GET", "/accounts/login/", jar, expect=200)
        csrf = r and CSRF_RE.search(r.text())
        if not csrf:
            return False
        fields = {"username": self.users.email(i), "password": BENCH_PASSWORD, "next": "/dossier/"}
        fields["csrfmiddlewaretoken"] = csrf.group(1)
        r = go("login_post", "POST", "/accounts/login/", jar, fields, expect=302, location="/twofactor/")
        if not r:
            return False
        r = go(
            "twofactor_start", "GET", r.headers["Location"], jar, expect=302, location="/twofactor/verify/"
        )
        if not r:
            return False
        r = go("verify_get", "GET", "/twofactor/verify/", jar, expect=200)
        csrf = r and CSRF_RE.search(r.text())
        if not csrf:
            return False
        fields = {"token": self.users.code(i), "csrfmiddlewaretoken": csrf.group(1)}
        r = go("verify_post", "POST", "/twofactor/verify/", jar, fields, expect=302, location="/dossier/")
        if not r:
            return False
        r = go("dossier", "GET", "/dossier/", jar, expect=200)
        if not r:
            return False
        page = r.text()
        links, csrf = DOCUMENT_RE.findall(page), CSRF_RE.search(page)
        if not links or not csrf:
            self.stats.note("dossier: no document link or no logout form on the page")
            return False
        link = random.choice(links)  # noqa: S311 - which document to open, not a secret
        if not go("document", "GET", link, jar, expect=200):
            return False
        if not go(
            "logout", "POST", "/accounts/logout/", jar, {"csrfmiddlewaretoken": csrf.group(1)}, expect=302
        ):
            return False
        with self.stats.lock:
            self.stats.flows += 1
        return True


def run_clients(flow: Flow, users: UserPool, clients: int, duration: float) -> float:
    """C threads loop over the flow for `duration` seconds; returns the elapsed wall time."""
    deadline = time.perf_counter() + duration

    def loop():
        while time.perf_counter() < deadline:
            i = users.acquire(deadline)
            if i is None:
                return
            try:
                flow.run(i, deadline)
            finally:
                users.release(i)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # short joins, so Ctrl-C and SIGTERM are handled at once
            thread.join(0.5)
    return time.perf_counter() - started


# ----------------------------------------------------------------------------------------------- lockout check
def lockout_check(http: Http, email: str, access_log: Path) -> dict:
    """Six wrong passwords, two at a time (so both sync workers serve some), then the right one."""
    jar: dict = {}
    page = http.request("GET", "/accounts/login/", jar=jar, tag="lockout-page")
    csrf = CSRF_RE.search(page.text())
    if page.status != 200 or not csrf:
        return {"ok": False, "reason": f"login page answered {page.status}"}
    token = csrf.group(1)
    wrong_statuses = []

    def attempt(password: str, tag: str) -> Resp:
        fields = {"username": email, "password": password, "csrfmiddlewaretoken": token}
        return http.request("POST", "/accounts/login/", jar=dict(jar), fields=fields, tag=tag)

    for pair in range(3):
        results = [None, None]

        def send(k, pair=pair, results=results):
            # A failed attempt is not counted; the split over the workers below shows what arrived.
            with contextlib.suppress(OSError, HTTPException):
                results[k] = attempt(f"wrong-password-{pair}-{k}", f"lockout-wrong-{2 * pair + k}")

        threads = [threading.Thread(target=send, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wrong_statuses += [r.status for r in results if r is not None]
    right = attempt(BENCH_PASSWORD, "lockout-right")
    time.sleep(0.5)  # let the workers write their access log lines
    served_by = collections.Counter(
        line.split()[0]
        for line in access_log.read_text().splitlines()
        if len(line.split()) >= 4 and line.split()[3].startswith("lockout-wrong-")
    )
    logged_in = right.status == 302 and (right.headers.get("Location") or "").startswith("/twofactor/")
    alert = ALERT_RE.search(right.text())
    message = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alert.group(1))).strip() if alert else ""
    both_workers = len(served_by) >= 2
    refused = not logged_in and right.status < 500
    if logged_in:
        reason = (
            "the right password still logged in after six wrong ones: no per-account limit across workers"
        )
    elif not refused:
        reason = f"the right password got {right.status}"
    elif not both_workers:
        reason = "inconclusive: the wrong passwords were all served by one worker"
    else:
        reason = "the right password was refused"
    return {
        "ok": refused and both_workers,
        "reason": reason,
        "wrong_statuses": wrong_statuses,
        "served_by": dict(served_by),
        "right_status": right.status,
        "right_location": right.headers.get("Location") or "",
        "right_message": message[:200],
    }


# ----------------------------------------------------------------------------------------------- infrastructure
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_loopback(url: str, what: str) -> None:
    if urlsplit(url).hostname not in LOOPBACK:
        raise BenchError(f"{what} must be on this machine's loopback, not {url}")


class Database:
    """The throwaway PostgreSQL database, dropped and recreated through the admin connection."""

    def __init__(self, admin_url: str, name: str):
        require_loopback(admin_url, "--pg")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise BenchError(f"--db-name {name!r}: lower-case letters, digits and _ only")
        self.admin_url, self.name = admin_url, name
        parts = urlsplit(admin_url)
        self.url = parts._replace(path=f"/{name}").geturl()

    def _execute(self, *statements: str):
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            rows = None
            for statement in statements:
                cursor = conn.execute(sql.SQL(statement).format(sql.Identifier(self.name)))
                rows = cursor.fetchall() if cursor.description else None
            return rows

    def recreate(self) -> None:
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}")

    def drop(self) -> None:
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    def version(self) -> str:
        rows = self._execute("SHOW server_version")
        return rows[0][0] if rows else "?"


class Redis:
    def __init__(self, url: str):
        require_loopback(url, "--redis-url")
        import redis

        self.url, self.client = url, redis.Redis.from_url(url, socket_timeout=10)

    def flush(self) -> None:
        self.client.flushdb()

    def cpu_s(self) -> float:
        info = self.client.info("cpu")
        return float(info.get("used_cpu_user", 0)) + float(info.get("used_cpu_sys", 0))

    def version(self) -> str:
        return str(self.client.info("server").get("redis_version", "?"))


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of one process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_s() -> float:
    """CPU seconds all processes of this machine spent busy (every core), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


class CpuSampler:
    """Samples, once a second, the CPU of gunicorn (master and workers) and of the PostgreSQL backends serving
    the bench database, so backends and workers that come and go (CONN_MAX_AGE) are counted too; and the whole
    machine's busy time, so other work on the machine during the run (a test suite, ...) shows up."""

    def __init__(self, *, gunicorn_pid: int, database: Database, redis: Redis):
        self.gunicorn_pid, self.database, self.redis = gunicorn_pid, database, redis
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.conn = None
        self.sampled = False

    def _backend_pids(self) -> list[int]:
        try:
            if self.conn is None:
                import psycopg

                self.conn = psycopg.connect(self.database.admin_url, autocommit=True, connect_timeout=10)
            rows = self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database.name]
            ).fetchall()
        except Exception:  # noqa: BLE001 - CPU figures are optional
            return []
        return [row[0] for row in rows]

    def sample(self) -> None:
        """The first sample is the baseline; a process first seen later started during the run (counts from 0)."""
        groups = [("gunicorn", pid) for pid in process_family(self.gunicorn_pid)]
        groups += [("postgres", pid) for pid in self._backend_pids()]
        for key in groups:
            value = proc_cpu_s(key[1])
            if value is not None:
                self.first.setdefault(key, value if not self.sampled else 0.0)
                self.last[key] = value
        self.sampled = True

    def _loop(self) -> None:
        while not self.stop_event.wait(1.0):
            self.sample()

    def __enter__(self):
        self.sample()
        self.machine0, self.redis0, self.driver0 = machine_busy_s(), self.redis.cpu_s(), time.process_time()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join()
        self.sample()
        if self.conn is not None:
            self.conn.close()
        self.driver = time.process_time() - self.driver0
        self.machine = machine_busy_s() - self.machine0
        self.redis_cpu = self.redis.cpu_s() - self.redis0

    def total(self, group: str) -> float:
        return sum(self.last[k] - self.first[k] for k in self.last if k[0] == group)

    def others(self) -> float:
        """Busy CPU of the machine not spent by the bench (gunicorn, its PostgreSQL backends, Redis, driver)."""
        ours = self.total("gunicorn") + self.total("postgres") + self.redis_cpu + self.driver
        return max(0.0, self.machine - ours)


def process_family(pid: int | None) -> list[int]:
    """The process and its children (gunicorn's workers, PostgreSQL's backends)."""
    if not pid:
        return []
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


class Portal:
    """The project's manage.py and gunicorn in a temporary folder: VAR_DIR, static files, logs."""

    def __init__(self, *, tmp: Path, database_url: str, redis_url: str, port: int, workers: int):
        self.tmp, self.port, self.workers = tmp, port, workers
        self.proc: subprocess.Popen | None = None
        self.log_path, self.access_log = tmp / "gunicorn.log", tmp / "access.log"
        settings_dir = tmp / "settings"
        settings_dir.mkdir()
        (settings_dir / "load_settings.py").write_text(
            '"""portal.settings.base, with STATIC_ROOT in the bench\'s temporary folder."""\n'
            "import os\nfrom pathlib import Path\n\n"
            "from portal.settings.base import *  # noqa: F403\n\n"
            'STATIC_ROOT = Path(os.environ["LOAD_STATIC_ROOT"])\n'
        )
        keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
        common = {
            **keep,
            "PYTHONPATH": f"{settings_dir}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "load_settings",
            "LOAD_STATIC_ROOT": str(tmp / "static"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "VAR_DIR": str(tmp / "var"),
            "DOCUMENT_SENDFILE": "",  # Django streams the document, as without nginx
        }
        self.debug_env = {**common, "DEBUG": "1"}
        self.prod_env = {
            **common,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "DEFAULT_FROM_EMAIL": "Verzuimportaal bench <noreply@bench.test>",
            "RECAPTCHA_PUBLIC_KEY": "bench-recaptcha-public",
            "RECAPTCHA_PRIVATE_KEY": "bench-recaptcha-private",
            "RECAPTCHA_LOCAL": "0",
            "SMS_GATEWAY": "twilio",
            "TWILIO_ACCOUNT_SID": "ACbench00000000000000000000000000",
            "TWILIO_AUTH_TOKEN": "bench-twilio-token",
            "TWILIO_FROM_NUMBER": "+3197010000000",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "TRUSTED_PROXY_COUNT": "0",
            "MAIL_DELIVERY": "worker",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }

    def manage(self, *args: str, debug: bool) -> str:
        cmd = [str(VENV_BIN / "python"), "manage.py", *args]
        run = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            cmd, cwd=ROOT, env=self.debug_env if debug else self.prod_env, capture_output=True, text=True
        )
        if run.returncode != 0:
            raise BenchError(
                f"{' '.join(cmd[1:])} failed ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-3000:]}"
            )
        return run.stdout

    def start(self) -> None:
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "portal.wsgi:application",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "--no-control-socket",  # gunicorn's default socket under ~/.gunicorn would clash with another server
        ]
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(  # noqa: S603 - the venv's gunicorn with fixed arguments
                cmd,
                cwd=ROOT,
                env=self.prod_env,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        http = Http(self.base_url, timeout=5)
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if (
                    http.request("GET", "/healthz/", jar={}).status == 200
                    and len(self.worker_pids()) >= self.workers
                ):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer /healthz/ within 60 s:\n{self.log_tail()}")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def worker_pids(self) -> list[int]:
        return process_family(self.pid)[1:]

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the master by its PID (it stops its workers), SIGKILL after 20 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_for_quiet(max_wait: float, busy_limit: float = 0.3) -> float:
    """Wait (at most max_wait s) until the machine is nearly idle: under `busy_limit` cores busy over 3 s.

    Called while gunicorn is idle, so what is busy is something else (a test suite on a shared machine). Returns
    the cores busy in the last sample.
    """
    give_up = time.monotonic() + max_wait
    for sample in itertools.count():
        before = machine_busy_s()
        time.sleep(3)
        busy = (machine_busy_s() - before) / 3
        if busy < busy_limit or time.monotonic() >= give_up:
            return busy
        if sample % 10 == 0:
            log(
                f"the machine is busy ({busy:.1f} cores used by other processes); waiting for it to be quiet ..."
            )


def server_times(access_log: Path, start: int = 0, end: int | None = None) -> dict[str, list[float]]:
    """Per phase (the X-Bench tag), the worker's own time per request in ms (no queueing in the backlog).

    Only the lines between the byte offsets `start` and `end` count.
    """
    out = collections.defaultdict(list)
    with open(access_log, "rb") as f:
        f.seek(start)
        text = f.read(-1 if end is None else end - start).decode(errors="replace")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2].isdigit():
            out[parts[3]].append(float(parts[2]))
    return out


def argon2_verify_ms(rounds: int = 15) -> tuple[float, float]:
    """Wall and CPU ms of one verify with the portal's argon2 parameters (accounts.hashers), in this process."""
    import argon2

    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=argon2.Type.ID)
    encoded = hasher.hash(BENCH_PASSWORD)
    walls, cpus = [], []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        hasher.verify(encoded, BENCH_PASSWORD)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


# ----------------------------------------------------------------------------------------------- report
def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}" if value >= 0.0995 else f"{value * 1000:.1f}"


def print_table(stats: Stats, elapsed: float, service: dict[str, list[float]]) -> dict:
    print(
        f"{'phase':30} {'count':>6} {'ok':>6} {'unexp':>5} {'5xx':>4} {'rps':>7} {'p50 ms':>7} {'p95 ms':>7}"
        f"  {'server p50/p95 ms':>17}  statuses"
    )
    every, total, unexpected, errors_5xx = [], 0, 0, 0
    for phase, label in PHASES:
        latencies = stats.latency[phase]
        count = len(latencies)
        bad = count - stats.ok[phase] + stats.exceptions[phase]
        fives = sum(n for status, n in stats.statuses[phase].items() if status >= 500)
        every += latencies
        total, unexpected, errors_5xx = total + count, unexpected + bad, errors_5xx + fives
        srv = service.get(phase, [])
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(stats.statuses[phase].items()))
        if stats.exceptions[phase]:
            statuses += f" conn-errors:{stats.exceptions[phase]}"
        print(
            f"{label:30} {count:>6} {stats.ok[phase]:>6} {bad:>5} {fives:>4} {count / elapsed:>7.1f} "
            f"{ms(pct(latencies, 50)):>7} {ms(pct(latencies, 95)):>7}  "
            f"{(ms(pct(srv, 50) / 1000 if srv else None) + '/' + ms(pct(srv, 95) / 1000 if srv else None)):>17}"
            f"  {statuses}"
        )
    print(
        f"{'all requests':30} {total:>6} {total - unexpected:>6} {unexpected:>5} {errors_5xx:>4} "
        f"{total / elapsed:>7.1f} {ms(pct(every, 50)):>7} {ms(pct(every, 95)):>7}"
    )
    return {
        "requests": total,
        "rps": total / elapsed if elapsed else 0.0,
        "p50_ms": (pct(every, 50) or 0) * 1000,
        "p95_ms": (pct(every, 95) or 0) * 1000,
        "errors_5xx": errors_5xx,
        "unexpected": unexpected,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


# ----------------------------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100, help="concurrent client threads (default 100)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=400, help="bench users (default 400)")
    parser.add_argument("--documents", type=int, default=20, help="documents per user (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument(
        "--baseline", type=int, default=10, help="flows with one client before the load (default 10)"
    )
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin connection (loopback)"
    )
    parser.add_argument("--db-name", default="portal_load", help="throwaway database, dropped and recreated")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/9", help="Redis db, flushed at start and end"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=180.0,
        help="wait up to this many seconds for other processes to leave the machine idle before the load "
        "(default 180; 0: do not wait)",
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the temporary folder (logs) at the end"
    )
    return parser.parse_args(argv)


def _raise_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.workers < 2:
        log("--workers below 2: the lockout check cannot spread over workers")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="portal-load-"))
    portal = database = redis = None
    try:
        database, redis = Database(args.pg, args.db_name), Redis(args.redis_url)
        log(f"database {args.db_name}: drop and create; Redis {args.redis_url}: flush")
        database.recreate()
        redis.flush()
        portal = Portal(
            tmp=tmp,
            database_url=database.url,
            redis_url=args.redis_url,
            port=free_port(),
            workers=args.workers,
        )
        log("migrate ...")
        portal.manage("migrate", "--noinput", "-v0", debug=True)
        log(f"bench_users --count {args.users} --documents {args.documents} --clear ...")
        started = time.perf_counter()
        portal.manage(
            "bench_users",
            "--count",
            str(args.users),
            "--documents",
            str(args.documents),
            "--clear",
            debug=True,
        )
        seed_s = time.perf_counter() - started
        log("collectstatic (production settings) ...")
        portal.manage("collectstatic", "--noinput", "-v0", debug=False)
        log(f"gunicorn -w {args.workers} on {portal.base_url} (DEBUG=0) ...")
        portal.start()
        return measure(args, portal, database, redis, seed_s)
    except BenchError as exc:
        print(f"bench could not run: {exc}", file=sys.stderr)
        if portal is not None and portal.proc is not None:
            print(f"--- gunicorn log (tail) ---\n{portal.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: stopping gunicorn and dropping the database", file=sys.stderr)
        return 130
    finally:
        if portal is not None:
            portal.stop()
        if database is not None:
            try:
                database.drop()
            except Exception as exc:  # noqa: BLE001 - report, go on cleaning up
                print(f"could not drop database {args.db_name}: {exc}", file=sys.stderr)
        if redis is not None:
            try:
                redis.flush()
            except Exception as exc:  # noqa: BLE001
                print(f"could not flush {args.redis_url}: {exc}", file=sys.stderr)
        if args.keep_logs:
            print(f"logs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(args, portal: Portal, database: Database, redis: Redis, seed_s: float) -> int:
    http = Http(portal.base_url)
    users = UserPool(args.users)
    busy_before = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else 0.0

    # Smoke: one whole flow, so a broken flow stops the bench with the reason instead of a table of errors.
    smoke = Stats()
    i = users.acquire(time.perf_counter() + 60)
    ok = Flow(http, users, smoke).run(i, time.perf_counter() + 60)
    users.release(i)
    if not ok:
        raise BenchError(f"the smoke login did not get through: {smoke.samples}\n{portal.log_tail()}")
    log("smoke login ok; warming up both workers ...")
    warm = Flow(http, users, Stats())
    for _ in range(2 * args.workers):
        i = users.acquire(time.perf_counter() + 60)
        warm.run(i, time.perf_counter() + 60)
        users.release(i)

    baseline = Stats()
    flow = Flow(http, users, baseline)
    baseline_started, baseline_offset = time.perf_counter(), portal.access_log.stat().st_size
    for _ in range(args.baseline):
        i = users.acquire(time.perf_counter() + 60)
        flow.run(i, time.perf_counter() + 60)
        users.release(i)
    baseline_s = time.perf_counter() - baseline_started
    time.sleep(0.2)
    baseline_service = server_times(portal.access_log, baseline_offset, portal.access_log.stat().st_size)
    users.wait_s = 0.0
    argon_wall, argon_cpu = argon2_verify_ms()

    pg_version, workers, load_before = database.version(), portal.worker_pids(), os.getloadavg()[0]
    log_offset = portal.access_log.stat().st_size
    log(f"load: {args.clients} clients for {args.duration:.0f} s ...")
    stats = Stats()
    with CpuSampler(gunicorn_pid=portal.pid, database=database, redis=redis) as cpu:
        elapsed = run_clients(Flow(http, users, stats), users, args.clients, args.duration)
    log(f"load done in {elapsed:.1f} s; lockout check ...")
    time.sleep(0.5)
    service = server_times(portal.access_log, log_offset)
    try:
        lockout = lockout_check(http, users.email(args.users - 1), portal.access_log)
    except (OSError, HTTPException) as exc:
        lockout = {"ok": False, "reason": f"the check itself failed: {type(exc).__name__}: {exc}"}

    # ------------------------------------------------------------------ report
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print(
        f"Verzuimportaal load test, {now}; machine: {os.cpu_count()} cores ({cpu_model()}), Python "
        f"{platform.python_version()}, PostgreSQL {pg_version}, Redis {redis.version()}"
    )
    print(
        f"gunicorn {args.workers} sync workers (pids {workers}), DEBUG=0; {args.users} users x {args.documents} "
        f"documents (bench_users took {seed_s:.1f} s); {args.clients} clients for {args.duration:.0f} s "
        f"(ran {elapsed:.1f} s)"
    )
    print(
        f"argon2id verify with the portal's parameters (m=19 MiB, t=2, p=1): {argon_wall:.1f} ms wall, "
        f"{argon_cpu:.1f} ms CPU, in-process"
    )
    print()
    print(f"one client, {args.baseline} flows (service times without queueing):")
    print_table(baseline, baseline_s, baseline_service)
    print()
    print(
        f"under load ({args.clients} clients); 'server' is the worker's own time from gunicorn's access log:"
    )
    summary = print_table(stats, elapsed, service)
    flows = stats.flows
    print()
    print(f"complete flows (login .. logout): {flows} = {flows / elapsed:.2f}/s")
    print(
        f"time clients waited for a user whose TOTP step was free: {users.wait_s:.1f} s of "
        f"{args.clients * elapsed:.0f} client-seconds ({args.users} users, one login per user per {STEP} s)"
    )
    per_flow = (lambda s: f"{s * 1000 / flows:.0f} ms/flow") if flows else (lambda s: "-")
    srv_cpu, pg_cpu, others = cpu.total("gunicorn"), cpu.total("postgres"), cpu.others()
    available = (os.cpu_count() or 1) * elapsed
    print(
        f"CPU during the load: gunicorn {srv_cpu:.1f} s ({per_flow(srv_cpu)}), its PostgreSQL backends "
        f"{pg_cpu:.1f} s ({per_flow(pg_cpu)}), Redis {cpu.redis_cpu:.1f} s, load driver {cpu.driver:.1f} s, "
        f"other processes {others:.1f} s; the machine was {cpu.machine / available:.0%} busy "
        f"({os.cpu_count()} cores x {elapsed:.0f} s; before the bench: {busy_before:.1f} cores busy; before the "
        f"load: load average {load_before:.1f})"
    )
    if others > 0.1 * available:
        print(
            "WARNING: other processes used more than 10% of the machine during the load: the figures are low; "
            "run again on a quiet machine"
        )
    if stats.samples:
        print(f"unexpected answers (first few): {stats.samples}")
    print(
        f"lockout check ({users.email(args.users - 1)}): wrong passwords answered {lockout.get('wrong_statuses')}, "
        f"served by workers {lockout.get('served_by')}; right password answered {lockout.get('right_status')} "
        f"{lockout.get('right_location')!r} {lockout.get('right_message')!r}: {lockout['reason']}"
    )
    print()
    print(f"unexpected: {summary['unexpected']}")
    print(f"rps: {summary['rps']:.1f}")
    print(f"p50_ms: {summary['p50_ms']:.0f}")
    print(f"p95_ms: {summary['p95_ms']:.0f}")
    print(
        f"errors_5xx: {summary['errors_5xx']}" + ("" if summary["errors_5xx"] == 0 else "  FAILED (goal 0)")
    )
    print(f"lockout_across_workers: {'ok' if lockout['ok'] else 'FAILED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
