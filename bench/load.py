#!/usr/bin/env python3
"""Load test of the employee flow (password, TOTP, dossier, one document, logout) on gunicorn, PostgreSQL, Redis.

Run from the project folder with the project's venv (see bench/README.md):

    .venv/bin/python bench/load.py                              # C=100 clients for D=60 s
    .venv/bin/python bench/load.py --clients 20 --duration 15

What it does, all on this machine (loopback only):
  1. drops and recreates a throwaway PostgreSQL database (portal_load) and flushes Redis db 9;
  2. with DEBUG=1 (and DEV_APPS=1, which installs the dev-only app with bench_users): `manage.py migrate` and
     `manage.py bench_users --count 400 --documents 20 --clear`
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
The client, the flow, gunicorn, PostgreSQL, Redis and the CPU figures are in bench/lib/ (bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
import time
from http.client import HTTPException
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent)
)  # the project root: bench.lib, devtools, the portal

from bench.lib import env as bench_env  # noqa: E402
from bench.lib.client import PHASES, STEP, Flow, Http, UserPool, run_clients  # noqa: E402
from bench.lib.lockout import lockout_check  # noqa: E402
from bench.lib.machine import CpuSampler, argon2_verify_ms, cpu_model, log, wait_for_quiet  # noqa: E402
from bench.lib.server import BenchError, Database, Gunicorn, Redis, manage  # noqa: E402
from bench.lib.stats import ACCESS_LOG_FORMAT, Stats, print_table, server_times  # noqa: E402
from devtools.bench_identity import BENCH_PASSWORD  # noqa: E402


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


def portal_env(tmp: Path, database_url: str, redis_url: str) -> dict:
    """Production settings on the bench's database and Redis, with STATIC_ROOT and VAR_DIR in the temporary folder."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    settings = bench_env.write_settings_module(tmp / "settings", "load_settings", static_root=tmp / "static")
    return bench_env.production_env(
        **keep,
        PYTHONPATH=f"{tmp / 'settings'}{os.pathsep}{bench_env.ROOT}",
        DJANGO_SETTINGS_MODULE=settings,
        PYTHONDONTWRITEBYTECODE="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        VAR_DIR=str(tmp / "var"),
        DOCUMENT_SENDFILE="",  # Django streams the document, as without nginx
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.workers < 2:
        log("--workers below 2: the lockout check cannot spread over workers")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="portal-load-"))
    server = database = redis = None
    try:
        database, redis = Database(args.db_name, args.pg), Redis(args.redis_url)
        log(f"database {args.db_name}: drop and create; Redis {args.redis_url}: flush")
        database.recreate()
        redis.flush()
        env = portal_env(tmp, database.url, args.redis_url)
        server = Gunicorn(
            env,
            workers=args.workers,
            log_path=tmp / "gunicorn.log",
            args=("--access-logfile", str(tmp / "access.log"), "--access-logformat", ACCESS_LOG_FORMAT),
        )
        env["SITE_URL"] = server.base_url.replace("http://127.0.0.1", "https://localhost")  # passkeys: https
        log("migrate ...")
        manage(bench_env.debug_env(env), "migrate", "--noinput", "-v0")
        log(f"bench_users --count {args.users} --documents {args.documents} --clear ...")
        started = time.perf_counter()
        count, documents = str(args.users), str(args.documents)
        manage(bench_env.debug_env(env), "bench_users", "--count", count, "--documents", documents, "--clear")
        seed_s = time.perf_counter() - started
        log("collectstatic (production settings) ...")
        manage(env, "collectstatic", "--noinput", "-v0")
        log(f"gunicorn -w {args.workers} on {server.base_url} (DEBUG=0) ...")
        server.start()
        return measure(args, server, tmp / "access.log", database, redis, seed_s)
    except BenchError as exc:
        print(f"bench could not run: {exc}", file=sys.stderr)
        if server is not None and server.proc is not None:
            print(f"--- gunicorn log (tail) ---\n{server.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: stopping gunicorn and dropping the database", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()
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


def measure(args, server: Gunicorn, access_log: Path, database: Database, redis: Redis, seed_s: float) -> int:
    http = Http(server.base_url)
    users = UserPool(args.users)
    busy_before = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else 0.0

    # Smoke: one whole flow, so a broken flow stops the bench with the reason instead of a table of errors.
    smoke = Stats()
    if not Flow(http, users, smoke).once():
        raise BenchError(f"the smoke login did not get through: {smoke.samples}\n{server.log_tail()}")
    log("smoke login ok; warming up both workers ...")
    warm = Flow(http, users, Stats())
    for _ in range(2 * args.workers):
        warm.once()

    baseline = Stats()
    flow = Flow(http, users, baseline)
    baseline_started, baseline_offset = time.perf_counter(), access_log.stat().st_size
    for _ in range(args.baseline):
        flow.once()
    baseline_s = time.perf_counter() - baseline_started
    time.sleep(0.2)
    baseline_service = server_times(access_log, baseline_offset, access_log.stat().st_size)
    users.wait_s = 0.0
    argon_wall, argon_cpu = argon2_verify_ms(BENCH_PASSWORD)

    pg_version, workers, load_before = database.version(), server.worker_pids(), os.getloadavg()[0]
    log_offset = access_log.stat().st_size
    log(f"load: {args.clients} clients for {args.duration:.0f} s ...")
    stats = Stats()
    with CpuSampler(gunicorn_pid=server.pid, database=database, redis=redis) as cpu:
        elapsed = run_clients(Flow(http, users, stats), users, args.clients, args.duration)
    log(f"load done in {elapsed:.1f} s; lockout check ...")
    time.sleep(0.5)
    service = server_times(access_log, log_offset)
    try:
        lockout = lockout_check(http, users.email(args.users - 1), access_log)
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
    print_table(baseline, baseline_s, baseline_service, PHASES)
    print()
    print(
        f"under load ({args.clients} clients); 'server' is the worker's own time from gunicorn's access log:"
    )
    summary = print_table(stats, elapsed, service, PHASES)
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
