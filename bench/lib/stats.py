"""Figures of a bench run: per-phase answers, percentiles, the phase table, worker times from gunicorn's access log."""

from __future__ import annotations

import collections
import statistics
import threading
from pathlib import Path

# gunicorn --access-logformat of the load bench: worker pid, status, the worker's own ms, the X-Bench phase tag
ACCESS_LOG_FORMAT = "%(p)s %(s)s %(M)s %({x-bench}i)s"


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

    def add(self, phase: str, resp, ok: bool, note: str = "") -> None:
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


def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(value: float | None) -> str:
    """Seconds as milliseconds for a table: whole above 0.1 s, one decimal below, '-' for nothing."""
    return "-" if value is None else f"{value * 1000:.0f}" if value >= 0.0995 else f"{value * 1000:.1f}"


def median_ms(values: list[float], digits: int = 2) -> float:
    return round(statistics.median(values) * 1000, digits)


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


def print_table(
    stats: Stats, elapsed: float, service: dict[str, list[float]], phases: list[tuple[str, str]]
) -> dict:
    """One row per phase and one for all requests; returns the summary figures."""
    print(
        f"{'phase':30} {'count':>6} {'ok':>6} {'unexp':>5} {'5xx':>4} {'rps':>7} {'p50 ms':>7} {'p95 ms':>7}"
        f"  {'server p50/p95 ms':>17}  statuses"
    )
    every, total, unexpected, errors_5xx = [], 0, 0, 0
    for phase, label in phases:
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
