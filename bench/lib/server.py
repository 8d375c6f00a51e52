"""The services a bench runs against, all on this machine: gunicorn, a throwaway PostgreSQL database, a Redis db.

Each is stopped or dropped by the caller in a `finally`; gunicorn by its PID (SIGTERM, SIGKILL after 20 s).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.lib.client import LOOPBACK, Http
from bench.lib.env import ROOT, VENV_BIN, WORK

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class BenchError(Exception):
    """The bench itself cannot go on (set-up, smoke login)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tempdir(prefix: str) -> str:
    """A temporary folder (a VAR_DIR, logs) under the bench folder when it exists, else under /tmp."""
    return tempfile.mkdtemp(prefix=prefix, dir=str(WORK) if WORK.exists() else None)


def require_loopback(url: str, what: str) -> None:
    if urlsplit(url).hostname not in LOOPBACK:
        raise BenchError(f"{what} must be on this machine's loopback, not {url}")


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


def stop_process(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM by its PID, SIGKILL after `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Database:
    """A throwaway PostgreSQL database, dropped and recreated through the admin connection (user postgres, trust)."""

    def __init__(self, name: str, admin_url: str = PG_ADMIN):
        require_loopback(admin_url, "--pg")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise BenchError(f"--db-name {name!r}: lower-case letters, digits and _ only")
        self.admin_url, self.name = admin_url, name
        self.url = urlsplit(admin_url)._replace(path=f"/{name}").geturl()

    def _execute(self, *statements: str):
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            rows = None
            for statement in statements:
                cursor = conn.execute(sql.SQL(statement).format(sql.Identifier(self.name)))
                rows = cursor.fetchall() if cursor.description else None
            return rows

    def recreate(self) -> str:
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}")
        return self.url

    def drop(self, *, quiet: bool = False) -> None:
        try:
            self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        except Exception as exc:  # noqa: BLE001 - clean-up only
            if not quiet:
                raise
            print(f"note: could not drop {self.name}: {exc}", file=sys.stderr)

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


class Gunicorn:
    """The venv's gunicorn serving portal.wsgi on a free loopback port with `env`, its output in `log_path`."""

    def __init__(self, env: dict, *, workers: int, log_path: Path, args: tuple[str, ...] = ()):
        self.env, self.workers, self.log_path, self.args = env, workers, Path(log_path), args
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def worker_pids(self) -> list[int]:
        return process_family(self.pid)[1:]

    def start(self, *, ready: tuple[int, ...] = (200,), within: float = 60) -> None:
        """Start, then wait until /healthz/ answers one of `ready` and every worker is up."""
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "portal.wsgi:application",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",  # gunicorn's default socket under ~/.gunicorn would clash with another server
            *self.args,
        ]
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(  # noqa: S603 - the venv's gunicorn with fixed arguments
                cmd, cwd=ROOT, env=self.env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True
            )
        http = Http(self.base_url, timeout=5)
        give_up = time.monotonic() + within
        while time.monotonic() < give_up:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                answer = http.request("GET", "/healthz/", jar={}).status
                if answer in ready and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer /healthz/ within {within:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.proc)


def manage(env: dict, *args: str) -> str:
    """`manage.py ARGS` of this work tree with exactly `env`; its output, or BenchError with the tail of it."""
    cmd = [str(VENV_BIN / "python"), "manage.py", *args]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our manage.py
    if run.returncode != 0:
        raise BenchError(
            f"{' '.join(cmd[1:])} failed ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-3000:]}"
        )
    return run.stdout
