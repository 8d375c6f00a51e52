"""This machine's figures: what it is, CPU seconds of processes and of the whole machine, waiting for it to be quiet.

The benches share 2 cores with other sessions' test suites, so each run says how busy the rest of the machine was.
"""

from __future__ import annotations

import itertools
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.lib.server import process_family

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine() -> str:
    """One line for the head of a report."""
    return f"nproc={os.cpu_count()} cpu={cpu_model()!r} python={platform.python_version()}"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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


def wait_for_quiet(max_wait: float, busy_limit: float = 0.3) -> float:
    """Wait (at most max_wait s) until the machine is nearly idle: under `busy_limit` cores busy over 3 s.

    Called while the server is idle, so what is busy is something else (a test suite on a shared machine). Returns
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
    return 0.0  # not reached


def argon2_verify_ms(password: str, rounds: int = 15) -> tuple[float, float]:
    """Wall and CPU ms of one verify with the portal's argon2 parameters (accounts.hashers), in this process."""
    import argon2

    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=argon2.Type.ID)
    encoded = hasher.hash(password)
    walls, cpus = [], []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        hasher.verify(encoded, password)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


class CpuSampler:
    """Samples, once a second, the CPU of gunicorn (master and workers) and of the PostgreSQL backends serving
    the bench database, so backends and workers that come and go (CONN_MAX_AGE) are counted too; and the whole
    machine's busy time, so other work on the machine during the run (a test suite, ...) shows up."""

    def __init__(self, *, gunicorn_pid: int, database, redis):
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
