#!/usr/bin/env python3
"""Memory of building a large "Download mijn dossier" export (issue 13): growth must stay ≤ 20 MB for 200 MB.

    .venv/bin/python bench/export_memory.py                       # 20 documents of 10 MB, SQLite
    .venv/bin/python bench/export_memory.py --documents 40 --mb 5 --db pg

One employee with N documents of M MB (random bytes behind a %PDF header, written straight into the documents
storage in 1 MiB chunks: an upload through the Web Portaal is capped at MAX_UPLOAD_MB), production settings (DEBUG
off). The export is requested through the service and built by the worker's job in this process, as
`send_notifications` does. Measured around the build only: the Python heap's peak above the start (tracemalloc) and
the process's peak RSS above its RSS before (VmHWM after resetting it through /proc/self/clear_refs; without that,
ru_maxrss). The ZIP is then checked: every document's SHA-256 equals the stored one. Exit 1 if growth > the goal.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import resource
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: bench.lib, the portal

from bench.lib import inproc  # noqa: E402
from bench.lib.machine import machine  # noqa: E402

MIB = 1024 * 1024
GOAL_MB = 20


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _seed(documents: int, mb: int):
    from django.contrib.auth import get_user_model

    from dossier.models import Document, Employer, Employment, documents_storage

    user = get_user_model().objects.create_user(
        email="bench.export@example.nl", password="x" * 20, first_name="Bench", last_name="Export"
    )
    Employment.objects.create(user=user, employer=Employer.objects.create(name="Bench BV"))
    root = Path(documents_storage().location)
    for n in range(documents):
        name = f"{user.pk}/bench{n:03d}"
        (root / str(user.pk)).mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with open(root / name, "wb") as out:
            for i in range(mb):
                chunk = (b"%PDF-1.4\n" + os.urandom(MIB - 9)) if i == 0 else os.urandom(MIB)
                digest.update(chunk)
                out.write(chunk)
        Document.objects.create(
            employee=user,
            category="overig",
            title=f"Document {n + 1}",
            file=name,
            original_name=f"document-{n + 1}.pdf",
            content_type="application/pdf",
            size=mb * MIB,
            sha256=digest.hexdigest(),
        )
    return user


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--mb", type=int, default=10, help="size of each document in MiB")
    parser.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--db-name", default="ours_bench_export", help="the throwaway PostgreSQL database")
    args = parser.parse_args()
    with inproc.portal(db=args.db, db_name=args.db_name, var_prefix="ours-bench-export-"):
        from dossier import exports
        from dossier.models import Document, DossierExport

        user = _seed(args.documents, args.mb)
        exports.export_request(user=user, ip="127.0.0.1")
        gc.collect()
        rss_before = _status_kb("VmRSS")
        clear_refs = _reset_peak_rss()
        maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        start_heap = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        built = exports.export_build_pending()
        seconds = time.perf_counter() - started
        heap_peak = tracemalloc.get_traced_memory()[1] - start_heap
        tracemalloc.stop()
        peak_rss = _status_kb("VmHWM") if clear_refs else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_growth_mb = (peak_rss - (rss_before if clear_refs else maxrss_before)) / 1024

        export = DossierExport.objects.get(employee=user)
        assert built == 1 and export.status == DossierExport.Status.READY, export.status
        total_mb = args.documents * args.mb
        ok_files = 0
        with export.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            stored = {
                d.original_name.rsplit(".", 1)[0]: d.sha256 for d in Document.objects.filter(employee=user)
            }
            for name in archive.namelist():
                if not name.startswith("documents/"):
                    continue
                digest = hashlib.sha256()
                with archive.open(name) as member:
                    while chunk := member.read(MIB):
                        digest.update(chunk)
                key = name.rsplit("_", 1)[-1].rsplit(".", 1)[0]
                ok_files += stored.get(key) == digest.hexdigest()
        print(machine())
        print(
            f"export of {args.documents} documents x {args.mb} MiB = {total_mb} MiB ({args.db}), "
            f"ZIP {export.size / MIB:.1f} MiB in {seconds:.1f} s ({total_mb / seconds:.0f} MiB/s)"
        )
        print(f"python heap peak growth (tracemalloc): {heap_peak / MIB:.2f} MiB")
        print(
            f"peak RSS growth ({'VmHWM after clear_refs' if clear_refs else 'ru_maxrss'}): {rss_growth_mb:.2f} MiB"
        )
        print(f"documents in the ZIP with the stored SHA-256: {ok_files}/{args.documents}")
        worst = max(heap_peak / MIB, rss_growth_mb)
        print(
            f"goal: growth <= {GOAL_MB} MB -> {'met' if worst <= GOAL_MB else 'NOT met'} (worst {worst:.2f} MiB)"
        )
        return 0 if worst <= GOAL_MB and ok_files == args.documents else 1


if __name__ == "__main__":
    sys.exit(main())
