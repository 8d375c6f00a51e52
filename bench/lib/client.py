"""The HTTP client of the benches and the employee's flow through the portal, as a browser does it.

stdlib http.client with one new connection per request (gunicorn's sync workers close it after each response
anyway), as ../shared/peers/two_factor_peer/measure.py does. With DEBUG off the session and CSRF cookies are Secure;
the client keeps its own jar and sends them back over plain http, to loopback only.

Flow.run is one login-to-logout flow: GET /accounts/login/, POST the password, GET /twofactor/ (-> verify),
GET /twofactor/verify/, POST the TOTP code, GET /dossier/, GET one /dossier/documents/<uuid>/, POST /accounts/logout/.
"""

from __future__ import annotations

import collections
import random
import re
import threading
import time
from http.client import HTTPConnection, HTTPException
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode, urlsplit

from devtools.bench_identity import BENCH_PASSWORD, bench_email, bench_secret

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
STEP = 30  # TOTP time step in seconds
CHUNK = 1024 * 1024
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


class Resp:
    __slots__ = ("status", "headers", "body", "size", "elapsed")

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Http:
    """One new connection per request, to this machine's loopback over http only."""

    def __init__(self, base_url: str, timeout: float = 120.0):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise ValueError("load is only ever sent to this machine's loopback over http")
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout

    def request(
        self, method: str, path: str, *, jar: dict, fields: dict | None = None, tag: str = "", discard=False
    ) -> Resp:
        """One request; `discard` reads the body in 1 MiB chunks and keeps only its size (a large download)."""
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
            data, size = b"", 0
            if discard:
                while chunk := raw.read(CHUNK):
                    size += len(chunk)
            else:
                data = raw.read()
                size = len(data)
        finally:
            conn.close()
        resp = Resp()
        resp.elapsed = time.perf_counter() - started
        resp.status, resp.headers, resp.body, resp.size = raw.status, raw.headers, data, size
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


class UserPool:
    """Bench users round-robin; a user is handed out again only once its last TOTP step has passed.

    Each user is held by one client at a time. The code sent is always the current step's, so the device's drift
    (django-otp re-syncs it on every match) stays at 0 or -1 and the code is accepted within the ±1 step window.
    """

    def __init__(self, count: int, prefix: str = "bench"):
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


class Flow:
    """One client's loop body: the whole login-to-logout flow for one user, stopping at the first surprise.

    `stats` (bench.lib.stats.Stats) records every answer per phase.
    """

    def __init__(self, http: Http, users: UserPool, stats):
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

    def once(self, within: float = 60) -> bool:
        """One flow with the next free user (smoke, warm-up, the one-client baseline)."""
        i = self.users.acquire(time.perf_counter() + within)
        if i is None:
            return False
        try:
            return self.run(i, time.perf_counter() + within)
        finally:
            self.users.release(i)


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
