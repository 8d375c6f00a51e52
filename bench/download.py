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
import signal
import socket
import statistics
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

CHUNK = 1024 * 1024

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024  # MiB
    return out


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def get(port: int, path: str, cookie: str) -> tuple[int, dict, int, float]:
    conn = HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie, "Host": f"127.0.0.1:{port}"})
    r = conn.getresponse()
    n = 0
    while chunk := r.read(CHUNK):
        n += len(chunk)
    dt = time.perf_counter() - t0
    headers = dict(r.getheaders())
    conn.close()
    return r.status, headers, n, dt


def setup(size_mb: int, env: dict) -> tuple[str, str, Path]:
    """The employee, the device, the 200 MB document and a verified session; returns (doc path, cookie, file)."""
    from django.conf import settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.sessions import SessionStore
    from dossier.models import Document, documents_storage

    user = User.objects.create(
        email="download@bench.test", first_name="Bench", last_name="Download", language="nl"
    )
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
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
    s = SessionStore()
    now = time.time()
    s.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "accounts.backends.EmailBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
            DEVICE_ID_SESSION_KEY: device.persistent_id,
            "accounts.session_started": now,
            "accounts.last_seen": now,
        }
    )
    s.create()
    return f"/dossier/documents/{doc.pk}/", f"{settings.SESSION_COOKIE_NAME}={s.session_key}", path


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
    proc = subprocess.Popen(
        [_common.PY, "-c", RAW_SERVER, str(port), str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        get(port, "/", "")
        rates = []
        for _ in range(repeat):
            status, _h, n, dt = get(port, "/", "")
            assert status == 200 and n == path.stat().st_size
            rates.append(n / dt / 1e6)
        return statistics.median(rates)
    finally:
        proc.kill()
        proc.wait()


def serve_and_measure(mode: str, env: dict, doc_path: str, cookie: str, repeat: int) -> dict:
    port = free_port()
    run_env = dict(os.environ, **env)
    cmd = [
        str(_common.ROOT / ".venv/bin/gunicorn"),
        "portal.wsgi:application",
        "--workers",
        "1",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    if mode == "nginx":
        run_env["DOCUMENT_SENDFILE"] = "nginx"
    if mode == "django-no-sendfile":
        cmd.append("--no-sendfile")
    log = open(_common.WORK / f"download-{mode}.log", "wb")
    proc = subprocess.Popen(cmd, cwd=_common.ROOT, env=run_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if get(port, "/healthz/", "")[0] in (200, 503):
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"gunicorn did not start, see {log.name}")
            time.sleep(0.2)
        worker = children(proc.pid)[0]
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
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    args = ap.parse_args()
    print(f"download  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {_common.machine()}")
    var_dir = _common.tempdir("download-var-")
    db_name = "ours_bench_download"
    url = _common.pg_recreate(db_name) if args.db == "pg" else None
    env = _common.bench_env(var_dir=var_dir, database_url=url)
    try:
        _common.setup_django(env, collectstatic=True)
        doc_path, cookie, path = setup(args.size_mb, env)
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
    finally:
        from django.db import connections

        connections.close_all()
        if url:
            _common.pg_drop(db_name)
        import shutil

        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
