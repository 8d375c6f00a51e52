#!/usr/bin/env python3
# ruff: noqa: S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Floor: downloading a 200 MB document through the portal against reading the file straight from disk.

    .venv/bin/python bench/download.py                 # SQLite in a temporary folder (the DB plays no part)
    .venv/bin/python bench/download.py --size-mb 200 --repeat 3 --db pg

One employee with one 200 MB PDF (random bytes behind a %PDF header, written straight into the documents storage:
an upload through the Web Portaal is capped at MAX_UPLOAD_MB), a verified session made in the database (the keys
login and the token step leave), and gunicorn with ONE sync worker under the production settings, so the serving
process is known. For each mode the worker's peak RSS is reset (/proc/PID/clear_refs 5) before the download and
read (VmHWM) after it; growth = VmHWM after - VmRSS before. Throughput: the client reads the body over loopback in
1 MiB chunks and discards it. The floor: this process reads the same file in 1 MiB chunks (page cache warm, as it
is for the download too).

Modes: "django" (DOCUMENT_SENDFILE unset, Django's FileResponse; gunicorn hands the open file to sendfile(2)),
"django-no-sendfile" (gunicorn --no-sendfile: Python copies 64 KiB blocks), and "nginx" (DOCUMENT_SENDFILE=nginx:
the app answers with X-Accel-Redirect and no body; nginx, not installed here, would stream the file itself).
The last lines are the ratios. Exit 0.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent)
)  # the project root: bench.lib, devtools, the portal

from bench.lib import inproc  # noqa: E402
from bench.lib.client import CHUNK, Http  # noqa: E402
from bench.lib.env import PY, WORK  # noqa: E402
from bench.lib.machine import machine  # noqa: E402
from bench.lib.server import Gunicorn, free_port, stop_process  # noqa: E402

# The transfer floor: the same file over loopback from the simplest HTTP server there is (headers, then sendfile(2))
RAW_SERVER = r"""
import os, socket, sys
path, size = sys.argv[2], os.path.getsize(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n".encode())
    with open(path, "rb") as f:
        off = 0
        while off < size:
            off += os.sendfile(c.fileno(), f.fileno(), off, size - off)
    c.close()
"""


def proc_status(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024  # MiB
    return out


def get(port: int, path: str, cookie: dict) -> tuple[int, dict, int, float]:
    """GET over loopback, the body read in 1 MiB chunks and discarded: status, headers, bytes, seconds."""
    r = Http(f"http://127.0.0.1:{port}", timeout=120).request("GET", path, jar=dict(cookie), discard=True)
    return r.status, dict(r.headers.items()), r.size, r.elapsed


def setup(size_mb: int) -> tuple[str, dict, Path]:
    """The employee, the device, the 200 MB document and a verified session; returns (doc path, cookie, file)."""
    from django.conf import settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from dossier.models import Document, documents_storage

    user = User.objects.create(
        email="download@bench.test", first_name="Bench", last_name="Download", language="nl"
    )
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    storage = documents_storage()
    name = "bench/download-200mb.pdf"
    path = Path(storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        head = b"%PDF-1.4\n"
        f.write(head)
        digest.update(head)
        for _ in range(size_mb):
            block = os.urandom(CHUNK)
            f.write(block)
            digest.update(block)
    doc = Document.objects.create(
        employee=user,
        category=Document.Category.OTHER,
        title="Groot document",
        file=name,
        original_name="groot.pdf",
        content_type="application/pdf",
        size=path.stat().st_size,
        sha256=digest.hexdigest(),
    )
    client = inproc.verified_client(user)
    cookie = settings.SESSION_COOKIE_NAME
    return f"/dossier/documents/{doc.pk}/", {cookie: client.cookies[cookie].value}, path


def disk_floor(path: Path, repeat: int) -> float:
    rates = []
    for _ in range(repeat + 1):  # the first read warms the page cache
        t0 = time.perf_counter()
        n = 0
        with open(path, "rb", buffering=0) as f:
            while chunk := f.read(CHUNK):
                n += len(chunk)
        rates.append(n / (time.perf_counter() - t0) / 1e6)
    return statistics.median(rates[1:])


def raw_floor(path: Path, repeat: int) -> float:
    port = free_port()
    proc = subprocess.Popen([PY, "-c", RAW_SERVER, str(port), str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        get(port, "/", {})
        rates = []
        for _ in range(repeat):
            status, _h, n, dt = get(port, "/", {})
            assert status == 200 and n == path.stat().st_size
            rates.append(n / dt / 1e6)
        return statistics.median(rates)
    finally:
        stop_process(proc, timeout=5)


def serve_and_measure(mode: str, env: dict, doc_path: str, cookie: dict, repeat: int) -> dict:
    run_env = dict(os.environ, **env)
    args = ("--log-level", "warning", "--timeout", "120")
    if mode == "nginx":
        run_env["DOCUMENT_SENDFILE"] = "nginx"
    if mode == "django-no-sendfile":
        args += ("--no-sendfile",)
    server = Gunicorn(run_env, workers=1, log_path=WORK / f"download-{mode}.log", args=args)
    try:
        server.start(ready=(200, 503))
        port, worker = server.port, server.worker_pids()[0]
        for _ in range(3):  # warm the worker: dossier page, a document response
            get(port, "/dossier/", cookie)
        get(port, doc_path, cookie)
        rates, growth, lat = [], [], []
        headers = {}
        for _ in range(repeat):
            before = proc_status(worker)["VmRSS"]
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            status, headers, n, dt = get(port, doc_path, cookie)
            assert status == 200, status
            after = proc_status(worker)
            growth.append(after["VmHWM"] - before)
            lat.append(dt)
            rates.append(n / dt / 1e6 if n else 0.0)
        return {
            "mode": mode,
            "bytes": n,
            "mb_per_s": round(statistics.median(rates), 1),
            "seconds": round(statistics.median(lat), 4),
            "peak_growth_mib": round(max(growth), 2),
            "x_accel": headers.get("X-Accel-Redirect"),
            "worker_rss_mib": round(proc_status(worker)["VmRSS"], 1),
        }
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    args = ap.parse_args()
    print(f"download  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {machine()}")
    db_name = "ours_bench_download"
    with inproc.portal(db=args.db, db_name=db_name, var_prefix="download-var-", collectstatic=True) as env:
        doc_path, cookie, path = setup(args.size_mb)
        from django.db import connections

        connections.close_all()
        size = path.stat().st_size
        floor = disk_floor(path, args.repeat)
        raw = raw_floor(path, args.repeat)
        print(
            f"document {size / 1e6:.1f} MB at {path}; disk read floor (page cache, 1 MiB chunks): {floor:.0f} MB/s; "
            f"raw sendfile HTTP server over loopback, same client: {raw:.0f} MB/s"
        )
        results = [
            serve_and_measure(m, env, doc_path, cookie, args.repeat)
            for m in ("django", "django-no-sendfile", "nginx")
        ]
        print(f"{'mode':20} {'bytes':>11} {'MB/s':>8} {'s':>8} {'peak RSS growth MiB':>20}  X-Accel-Redirect")
        for r in results:
            print(
                f"{r['mode']:20} {r['bytes']:>11} {r['mb_per_s']:>8} {r['seconds']:>8} "
                f"{r['peak_growth_mib']:>20}  {r['x_accel'] or '-'}"
            )
        print()
        for r in results[:2]:
            ratio = r["mb_per_s"] / floor
            print(
                f"{r['mode']}: throughput ratio portal/disk = {ratio:.2f}x (goal >= 0.5: "
                f"{'met' if ratio >= 0.5 else 'NOT met'}); peak memory growth {r['peak_growth_mib']} MiB "
                f"(goal < 10 MB: {'met' if r['peak_growth_mib'] * 1.048576 < 10 else 'NOT met'}); "
                f"against the raw sendfile server over loopback {r['mb_per_s'] / raw:.2f}x"
            )
        ng = results[2]
        print(
            f"nginx (X-Accel-Redirect): the worker answers in {ng['seconds'] * 1000:.1f} ms with "
            f"{ng['bytes']} body bytes, peak memory growth {ng['peak_growth_mib']} MiB; nginx streams the file"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
