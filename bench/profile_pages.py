#!/usr/bin/env python3
# ruff: noqa: S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Where the time goes: profile of the login page, the token step and the dossier page (20 documents), in-process.

    .venv/bin/python bench/profile_pages.py                  # PostgreSQL (throwaway database) + Redis db 12
    PYTHONPATH=/tmp/ours-bench/pyinstr .venv/bin/python bench/profile_pages.py --n 200

Django's test client, the production settings (DEBUG off, see bench/lib/inproc.py), bench users with 20 documents.
Per page: the SQL queries of one request (CaptureQueriesContext), the mean time of --n requests, and a profile of
those requests: pyinstrument when it can be imported (pip install --target DIR pyinstrument; PYTHONPATH=DIR),
else cProfile. The token step uses a fresh session at the token step per request (force_login plus the password
timestamp the password step sets) and the user's current TOTP code. The last lines are the per-request times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent)
)  # the project root: bench.lib, devtools, the portal

from bench.lib import inproc  # noqa: E402
from bench.lib.machine import machine  # noqa: E402

try:
    from pyinstrument import Profiler
except ImportError:  # pragma: no cover
    Profiler = None


SHOW_ALL = False


def profiled(label: str, fn, n: int, top: int) -> float:
    if Profiler is not None:
        p = Profiler(interval=0.0005)
        p.start()
        t0 = time.perf_counter()
        for i in range(n):
            fn(i)
        dt = time.perf_counter() - t0
        p.stop()
        text = p.output_text(unicode=False, color=False, show_all=SHOW_ALL)
        lines = [ln for ln in text.splitlines() if ln.strip()][:top]
    else:
        p = cProfile.Profile()
        t0 = time.perf_counter()
        p.enable()
        for i in range(n):
            fn(i)
        p.disable()
        dt = time.perf_counter() - t0
        s = io.StringIO()
        pstats.Stats(p, stream=s).sort_stats("cumulative").print_stats(top)
        lines = [ln for ln in s.getvalue().splitlines() if ln.strip()]
    print(f"\n== {label}: {n} requests, {dt / n * 1000:.2f} ms each (profiler on)")
    for ln in lines:
        print("   " + ln[:180])
    return dt / n * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--top", type=int, default=60)
    ap.add_argument("--all", action="store_true", help="pyinstrument: show the frames of libraries too")
    args = ap.parse_args()
    global SHOW_ALL
    SHOW_ALL = args.all
    print(
        f"profile_pages  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {machine()}  "
        f"profiler={'pyinstrument' if Profiler else 'cProfile'}"
    )
    redis_url = "redis://127.0.0.1:6379/12"
    with inproc.portal(
        db="pg", db_name="ours_bench_profile", var_prefix="prof-var-", collectstatic=True, REDIS_URL=redis_url
    ):
        import pyotp
        from django.core.cache import cache
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from accounts.models import User
        from accounts.services import SESSION_PASSWORD_AT
        from devtools.management.commands.bench_users import bench_create, bench_email, bench_secret

        cache.clear()
        n = args.n
        bench_create(prefix="prof", count=n + 2, documents=20)
        users = {u.email: u for u in User.objects.filter(email__endswith="@bench.test")}
        times = {}

        # login page, a new visitor each time (one Client: a new Client per request would rebuild the middleware,
        # and WhiteNoise scans STATIC_ROOT when it is built, which no server does per request)
        anon = Client()

        def login_get(i):
            anon.cookies.clear()
            r = anon.get("/accounts/login/?next=/dossier/")
            assert r.status_code == 200

        with CaptureQueriesContext(connection) as ctx:
            login_get(0)
        print(f"GET /accounts/login/: {len(ctx.captured_queries)} queries")
        for _ in range(5):
            login_get(0)
        times["login page"] = profiled("GET /accounts/login/", login_get, n, args.top)

        # token step: a fresh session at the token step per request
        clients = []
        for i in range(n + 1):
            c = Client()
            user = users[bench_email("prof", i)]
            c.force_login(user, backend="accounts.backends.EmailBackend")
            s = c.session
            s[SESSION_PASSWORD_AT] = time.time()
            s.save()
            assert c.get("/twofactor/verify/").status_code == 200
            clients.append((c, pyotp.TOTP(bench_secret("prof", i))))

        def token_post(i, clients=clients):
            c, totp = clients[i]
            r = c.post("/twofactor/verify/", {"token": totp.now()})
            assert r.status_code == 302 and r["Location"].startswith("/dossier/"), (
                r.status_code,
                r.get("Location"),
            )

        with CaptureQueriesContext(connection) as ctx:
            token_post(n)
        print(f"POST /twofactor/verify/: {len(ctx.captured_queries)} queries")
        for q in ctx.captured_queries:
            print("    " + q["sql"][:170])
        times["token step"] = profiled("POST /twofactor/verify/ (token step)", token_post, n, args.top)

        # dossier page, 20 documents, verified session
        c = inproc.verified_client(users[bench_email("prof", n + 1)])

        def dossier(i):
            r = c.get("/dossier/")
            assert r.status_code == 200

        for _ in range(5):
            dossier(0)
        with CaptureQueriesContext(connection) as ctx:
            dossier(0)
        print(f"GET /dossier/ (20 documents): {len(ctx.captured_queries)} queries")
        for q in ctx.captured_queries:
            print("    " + q["sql"][:170])
        times["dossier page"] = profiled("GET /dossier/ (20 documents)", dossier, n, args.top)
        print()
        for k, v in times.items():
            print(f"{k}: {v:.2f} ms per request in-process (profiler on)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
