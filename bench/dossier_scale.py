#!/usr/bin/env python3
# ruff: noqa: E501, S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Floor: "Mijn eigen dossier" with 10 and with 10,000 documents: SQL query count (same, at most 8) and time (<= 1.3x).

    .venv/bin/python bench/dossier_scale.py                 # PostgreSQL (throwaway database) and SQLite
    .venv/bin/python bench/dossier_scale.py --db pg --requests 50

In-process, Django's test client with the production settings (DEBUG off; see bench/lib/inproc.py), one employee with
10 documents and one with 10,000 (bench_users' bench_create, every row pointing at one stored PDF), each in a
verified session (force_login plus django-otp's session key, as the token step leaves it). Per employee: the
queries of one GET /dossier/ (CaptureQueriesContext), then the median of --requests GETs; also the last page of
the 10,000 (OFFSET 9975). With PostgreSQL, EXPLAIN ANALYZE of the page's document query and its COUNT.
Each GET also writes its access-log row, as in production. The last lines are the ratios. Exit 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent)
)  # the project root: bench.lib, devtools, the portal

from bench.lib import inproc  # noqa: E402
from bench.lib.env import PY, ROOT  # noqa: E402
from bench.lib.machine import machine  # noqa: E402

SIZES = (10, 10_000)


def child(db: str, requests: int) -> dict:
    with inproc.portal(db=db, db_name="ours_bench_scale", var_prefix="scale-var-", collectstatic=True):
        return measure(db, requests)


def measure(db: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from devtools.management.commands.bench_users import bench_create, bench_email
    from dossier.views import PAGE_SIZE

    out = {"db": db, "requests": requests, "sizes": {}}
    for n in SIZES:
        prefix = f"scale{n}x"
        t0 = time.perf_counter()
        bench_create(prefix=prefix, count=1, documents=n)
        seed_s = time.perf_counter() - t0
        user = User.objects.get(email=bench_email(prefix, 0))
        client = inproc.verified_client(user)

        def get(path="/dossier/", client=client):
            r = client.get(path)
            assert r.status_code == 200, (r.status_code, r.get("Location"))
            return r

        for _ in range(5):  # warm: templates, translations, connection
            get()
        with CaptureQueriesContext(connection) as ctx:
            r = get()
        assert b"Bench document" in r.content
        queries = [q["sql"] for q in ctx.captured_queries]
        times = p50_times(get, requests)
        entry = {
            "seed_s": round(seed_s, 2),
            "queries": len(queries),
            "sql": [q[:160] for q in queries],
            "p50_ms": round(statistics.median(times) * 1000, 2),
            "mean_ms": round(statistics.fmean(times) * 1000, 2),
        }
        pages = (n + PAGE_SIZE - 1) // PAGE_SIZE
        if pages > 1:
            last = f"/dossier/?page={pages}"
            get(last)
            with CaptureQueriesContext(connection) as ctx:
                get(last)
            last_queries = len(ctx.captured_queries)  # read now: the next request resets the query log
            lt = p50_times(lambda last=last: get(last), max(10, requests // 2))
            entry["last_page"] = {
                "page": pages,
                "queries": last_queries,
                "p50_ms": round(statistics.median(lt) * 1000, 2),
            }
        if db == "pg" and n == max(SIZES):
            from dossier import selectors

            qs = selectors.dossier_documents(user=user)
            entry["explain_page"] = inproc.explain(qs[:PAGE_SIZE])
            entry["explain_count"] = inproc.explain(qs, count=True)
        out["sizes"][n] = entry
        out.setdefault("_gets", {})[n] = get
    if db == "pg":
        out["with_index"] = index_trial(out.pop("_gets"), requests)
    out.pop("_gets", None)
    return out


def p50_times(get, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        get()
        times.append(time.perf_counter() - t)
    return times


def index_trial(gets: dict, requests: int) -> dict:
    """The change this bench recommends, tried in the throwaway database only: an index that serves the page's
    ORDER BY (employee, category order, -uploaded_at, id), so LIMIT 25 reads 25 index entries instead of sorting
    every document of the employee; then VACUUM ANALYZE so the COUNT can be an index-only scan."""
    from django.db import connection
    from django.db.models import Case, F, Index, IntegerField, Value, When

    from dossier import selectors
    from dossier.models import Document
    from dossier.views import PAGE_SIZE

    order = Case(
        *[When(category=v, then=Value(i)) for i, v in enumerate(Document.Category.values)],
        default=Value(len(Document.Category.values)),
        output_field=IntegerField(),
    )
    index = Index(F("employee"), order, F("uploaded_at").desc(), F("id"), name="bench_doc_page_order")
    with connection.schema_editor() as editor:
        editor.add_index(Document, index)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE dossier_document")
    res = {}
    for n, get in gets.items():
        for _ in range(5):
            get()
        res[n] = {"p50_ms": round(statistics.median(p50_times(get, requests)) * 1000, 2)}
    from accounts.models import User
    from devtools.management.commands.bench_users import bench_email

    user = User.objects.get(email=bench_email(f"scale{max(SIZES)}x", 0))
    qs = selectors.dossier_documents(user=user)
    res["explain_page"] = inproc.explain(qs[:PAGE_SIZE])
    res["explain_count"] = inproc.explain(qs, count=True)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="pg,sqlite", help="comma-separated: pg, sqlite (default both)")
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.requests)))
        return 0
    print(f"dossier_scale  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {machine()}")
    results = []
    for db in args.db.split(","):
        run = subprocess.run(
            [PY, __file__, "--child", db, "--requests", str(args.requests)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if run.returncode != 0:
            print(f"[{db}] FAILED to run:\n{run.stderr[-3000:]}")
            continue
        res = json.loads(run.stdout.strip().splitlines()[-1])
        results.append(res)
        print(f"\n[{db}] {args.requests} GET /dossier/ per size, in-process test client, DEBUG off")
        for n, e in res["sizes"].items():
            extra = ""
            if "last_page" in e:
                lp = e["last_page"]
                extra = f"; last page ({lp['page']}): {lp['queries']} queries, p50 {lp['p50_ms']} ms"
            print(
                f"  {int(n):>6} documents: {e['queries']} queries, p50 {e['p50_ms']} ms, mean {e['mean_ms']} ms{extra}"
            )
        big = res["sizes"][str(max(SIZES))]
        print(f"  queries of one page with {max(SIZES)} documents:")
        for q in big["sql"]:
            print(f"    {q}")
        for key in ("explain_page", "explain_count"):
            if key in big:
                print(f"  {key}:")
                for line in big[key]:
                    print(f"    {line}")
        if "with_index" in res:
            wi = res["with_index"]
            print(
                f"  with the recommended index (bench-only, throwaway DB): 10 documents p50 {wi[str(min(SIZES))]['p50_ms']} ms, "
                f"10000 documents p50 {wi[str(max(SIZES))]['p50_ms']} ms"
            )
            for key in ("explain_page", "explain_count"):
                print(f"  {key} with the index:")
                for line in wi[key]:
                    print(f"    {line}")
    print()
    for res in results:
        a, b = res["sizes"][str(min(SIZES))], res["sizes"][str(max(SIZES))]
        ratio = b["p50_ms"] / a["p50_ms"]
        ok_q = a["queries"] == b["queries"] and b["queries"] <= 8
        print(
            f"[{res['db']}] queries 10 / 10000 docs = {a['queries']} / {b['queries']} "
            f"(goal same and <= 8: {'met' if ok_q else 'NOT met'})"
        )
        print(
            f"[{res['db']}] time ratio 10000/10 docs = {ratio:.2f}x "
            f"({b['p50_ms']} / {a['p50_ms']} ms; goal <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'})"
        )
        if "with_index" in res:
            wi = res["with_index"]
            r2 = wi[str(max(SIZES))]["p50_ms"] / wi[str(min(SIZES))]["p50_ms"]
            print(
                f"[{res['db']}] time ratio 10000/10 docs with the recommended index = {r2:.2f}x "
                f"(goal <= 1.3x: {'met' if r2 <= 1.3 else 'NOT met'})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
