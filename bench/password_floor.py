#!/usr/bin/env python3
# ruff: noqa: E501, S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Floor: the password step against the argon2 verification of the same password alone, and what the hasher's
parameters cost on this machine.

    .venv/bin/python bench/password_floor.py                 # PostgreSQL (throwaway database) + Redis db 11
    .venv/bin/python bench/password_floor.py --logins 40

1. argon2id verify, in-process, with the portal's parameters (accounts/hashers.py: OWASP's minimum m=19 MiB, t=2,
   p=1) and Django's default (m=100 MiB, t=2, p=8): median wall and CPU time, the most verifies per second this
   machine's cores allow (nproc / CPU time) and the memory each verify holds.
2. The password step in-process (Django's test client, production settings, PostgreSQL, Redis as the cache of the
   login limits): POST /accounts/login/ with the right password, --logins times, each paired with one verify
   right before it (as measure.py's (b1) does, so drift cancels); the ratio of the medians, and a cProfile of the
   whole step showing where the time outside argon2 goes. The HTTP figure with gunicorn is measure.py's (b1).
The last lines are the ratios. Exit 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent)
)  # the project root: bench.lib, devtools, the portal

from bench.lib import inproc  # noqa: E402
from bench.lib.machine import machine  # noqa: E402
from devtools.bench_identity import BENCH_PASSWORD as PASSWORD  # noqa: E402


def timed(fn) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def hasher_costs(rounds: int) -> list[dict]:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from accounts.hashers import PortalArgon2PasswordHasher

    out = []
    for label, cls in (
        ("portal (OWASP minimum)", PortalArgon2PasswordHasher),
        ("Django default", Argon2PasswordHasher),
    ):
        h = cls()
        encoded = h.encode(PASSWORD, h.salt())
        h.verify(PASSWORD, encoded)
        walls, cpus = zip(
            *(timed(lambda h=h, e=encoded: h.verify(PASSWORD, e)) for _ in range(rounds)), strict=True
        )
        cpu = statistics.median(cpus)
        out.append(
            {
                "label": label,
                "m_mib": h.memory_cost / 1024,
                "t": h.time_cost,
                "p": h.parallelism,
                "wall_ms": statistics.median(walls) * 1000,
                "cpu_ms": cpu * 1000,
                "ceiling": (os.cpu_count() or 1) / cpu,
            }
        )
    return out


def login_step(logins: int) -> dict:
    from django.contrib.auth.hashers import get_hasher
    from django.core.cache import cache
    from django.test import Client

    from devtools.management.commands.bench_users import bench_create, bench_email

    cache.clear()
    bench_create(prefix="pwfloor", count=logins + 5, documents=0)
    hasher = get_hasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())

    def post(i: int) -> None:
        c = Client()
        c.get("/accounts/login/?next=/dossier/")  # the form's CSRF cookie, untimed
        return c, {"username": bench_email("pwfloor", i), "password": PASSWORD}

    def one(c, data):
        r = c.post("/accounts/login/?next=/dossier/", data)
        assert r.status_code == 302 and "/twofactor/" in r["Location"], r.status_code

    for i in range(3):  # warm
        one(*post(logins + i))
    paired, steps = [], []
    for i in range(logins):
        c, data = post(i)
        paired.append(timed(lambda: hasher.verify(PASSWORD, encoded))[0])
        steps.append(timed(lambda c=c, data=data: one(c, data))[0])
    c, data = post(logins + 3)
    prof = cProfile.Profile()
    prof.enable()
    one(c, data)
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(28)
    return {
        "step_p50_ms": statistics.median(steps) * 1000,
        "verify_p50_ms": statistics.median(paired) * 1000,
        "profile": s.getvalue(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--logins", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=20, help="verifies per hasher in part 1")
    args = ap.parse_args()
    print(f"password_floor  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {machine()}")
    with inproc.portal(
        db="pg",
        db_name="ours_bench_password",
        var_prefix="pw-var-",
        collectstatic=True,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
    ):
        costs = hasher_costs(args.rounds)
        print("\n1. argon2id verify, in-process")
        print(
            f"  {'hasher':24} {'m MiB':>6} {'t':>2} {'p':>2} {'wall ms':>8} {'CPU ms':>7} {'verifies/s on this machine':>27}"
        )
        for c in costs:
            print(
                f"  {c['label']:24} {c['m_mib']:>6.0f} {c['t']:>2} {c['p']:>2} {c['wall_ms']:>8.1f} {c['cpu_ms']:>7.1f} "
                f"{c['ceiling']:>27.1f}"
            )
        ours, django_default = costs
        print(
            f"  a flood of wrong passwords: every attempt the limits let through costs one verify "
            f"({ours['cpu_ms']:.0f} ms CPU, {ours['m_mib']:.0f} MiB held, ours; {django_default['cpu_ms']:.0f} ms CPU, "
            f"{django_default['m_mib']:.0f} MiB, Django's default), an unknown email too (Django hashes a dummy); "
            f"the per-IP limit (30 failures/min) and the per-account wait stop the hashing for one address, "
            f"so only a spread-out flood reaches the CPU ceiling above"
        )
        res = login_step(args.logins)
        print(f"\n2. POST /accounts/login/ (right password), in-process test client, {args.logins} logins")
        print(
            f"  step p50 {res['step_p50_ms']:.1f} ms, paired argon2 verify p50 {res['verify_p50_ms']:.1f} ms, "
            f"outside argon2 {res['step_p50_ms'] - res['verify_p50_ms']:.1f} ms"
        )
        print("  cProfile of one password step (cumulative):")
        for line in res["profile"].splitlines():
            if line.strip():
                print("   " + line[:170])
        print()
        ratio = res["step_p50_ms"] / res["verify_p50_ms"]
        print(
            f"argon2 params: portal m=19 MiB t=2 p=1 -> {ours['ceiling']:.0f} logins/s ceiling; Django default "
            f"m=100 MiB t=2 p=8 -> {django_default['ceiling']:.0f} logins/s ({ours['ceiling'] / django_default['ceiling']:.1f}x)"
        )
        print(
            f"password step in-process / argon2 verify = {ratio:.2f}x (goal <= 1.05x over HTTP: see measure.py b1)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
