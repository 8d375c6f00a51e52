"""Restore drill: the newest dump of scripts/backup.sh into a fresh database, migrated, checked against its manifest.

    python scripts/restore_drill.py [DUMP_OR_BACKUP_DIR]      (make restore-drill [DUMP=...] [KEEP=1])

The database server and the document store are the portal's own settings (DATABASE_URL or DATABASE_HOST and its
parts, STORAGES["documents"]); only the database name changes: <name>_drill_<time>, created here, never the live
one. Checks, each printed, and the exit status is 1 when any fails:

1. pg_restore of the dump succeeds (one transaction, stops at the first error).
2. Every table's row count equals the manifest's (counted in the dump's own snapshot by backup.sh). Counted before
   `migrate`: a newer release's data migrations may change rows, which is not a fault of the backup.
3. `migrate` succeeds on the restored database (the code of this checkout on the data of the dump).
4. The manifest's document: its restored row has the manifest's SHA-256, and its file, read through
   documents_storage(), has that SHA-256 too (the database and the store belong together).

The drill database is dropped at the end, unless KEEP=1.
"""

import datetime
import hashlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "backups"

COUNTS_SQL = """
SELECT table_name,
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', table_name),
                                            false, true, '')))[1]::text::bigint
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
"""


def newest_dump(path: Path) -> Path:
    """The dump itself, or the newest one with a manifest in a backup folder (daily/ and weekly/ alike)."""
    if path.is_file():
        return path
    dumps = sorted(
        (p for p in path.rglob("portal-*.dump") if p.with_suffix(".json").is_file()), key=lambda p: p.name
    )
    if not dumps:
        sys.exit(f"restore drill: no dump with a manifest under {path}")
    return dumps[-1]


def server_params() -> dict:
    """libpq parameters of the portal's database, from the same variables the settings read."""
    if os.environ.get("DATABASE_HOST"):
        params = {
            "host": os.environ["DATABASE_HOST"],
            "port": os.environ.get("DATABASE_PORT", "5432"),
            "dbname": os.environ.get("DATABASE_NAME", ""),
            "user": os.environ.get("DATABASE_USER", ""),
            "password": os.environ.get("DATABASE_PASSWORD", ""),
        }
    else:
        url = os.environ.get("DATABASE_URL", "")
        if urlsplit(url).scheme not in ("postgres", "postgresql"):
            sys.exit("restore drill: DATABASE_URL (or DATABASE_HOST) must name the PostgreSQL server")
        params = conninfo_to_dict(url)
    return {k: v for k, v in params.items() if v}


def use_database(name: str) -> None:
    """Point the portal's settings (read at django.setup()) at the drill database."""
    if os.environ.get("DATABASE_HOST"):
        os.environ["DATABASE_NAME"] = name
    else:
        url = urlsplit(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = url._replace(path=f"/{name}").geturl()


def file_sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    dump = newest_dump(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR)
    manifest = json.loads(dump.with_suffix(".json").read_text())
    params = server_params()
    live = params["dbname"]
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    drill = f"{live[:30]}_drill_{stamp}_{secrets.token_hex(2)}"
    print(f"restore drill: {dump} (taken {manifest.get('created_at')}) into database {drill}")

    admin = psycopg.connect(**params, autocommit=True)
    # From template0: nobody is ever connected to it (CREATE DATABASE from template1 fails while anyone is).
    admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(drill)))
    try:
        failures = drill_checks(dump, manifest, params, drill)
    except Exception as exc:  # the verdict names it; the drill database is still dropped below
        failures = [f"{type(exc).__name__}: {exc}"]
    finally:
        if os.environ.get("KEEP") == "1":
            print(f'kept  database {drill} (KEEP=1): drop it with DROP DATABASE "{drill}"')
        else:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(drill)))
        admin.close()
    for failure in failures:
        print(f"FAIL  {failure}")
    print("restore drill: " + ("FAILED" if failures else "PASSED"))
    return 1 if failures else 0


def drill_checks(dump: Path, manifest: dict, params: dict, drill: str) -> list:
    """Restore, count, migrate, check the document; the failures found (a failed restore ends the drill)."""
    # The password through the environment, not on pg_restore's command line (visible in the process list).
    env = {**os.environ, "PGPASSWORD": params.get("password", "")}
    target = make_conninfo(
        **{k: v for k, v in params.items() if k not in ("password", "dbname")}, dbname=drill
    )
    # pg_restore from PATH, like psql and pg_dump for an operator; the arguments are ours and the dump's path.
    restore = subprocess.run(  # noqa: S603
        ["pg_restore",  # noqa: S607 "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
         f"--dbname={target}", str(dump)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if restore.returncode:
        return [f"pg_restore failed: {restore.stderr.strip()}"]
    print("ok    pg_restore")

    failures = []
    with psycopg.connect(**{**params, "dbname": drill}) as conn:
        restored = dict(conn.execute(COUNTS_SQL).fetchall())
    expected = manifest["counts"]
    for table in sorted(expected.keys() | restored.keys()):
        if expected.get(table) != restored.get(table):
            failures.append(f"rows of {table}: dump {expected.get(table)}, restored {restored.get(table)}")
    if not failures:
        print(f"ok    row counts of {len(expected)} tables ({sum(expected.values())} rows)")

    use_database(drill)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", interactive=False, verbosity=0)
        print("ok    migrate")
        return failures + check_document(manifest.get("document"))
    finally:
        connections.close_all()  # the database is dropped next


def check_document(document) -> list:
    """The manifest's document: row and file carry the SHA-256 the backup recorded."""
    from dossier.models import Document, documents_storage

    if document is None:
        print("note  no document in the dump: the file check is skipped")
        return []
    row = Document.objects.filter(pk=document["id"]).first()
    if row is None:
        return [f"document {document['id']}: no row after the restore"]
    if row.sha256 != document["sha256"]:
        return [f"document {row.pk}: row says SHA-256 {row.sha256}, the manifest {document['sha256']}"]
    try:
        actual = file_sha256(documents_storage(), row.file.name)
    except OSError as exc:  # a missing file (FileNotFoundError, or the S3 backend's own OSError subclass)
        return [f"document {row.pk}: file {row.file.name} unreadable in the store: {exc}"]
    if actual != row.sha256:
        return [f"document {row.pk}: file {row.file.name} has SHA-256 {actual}, its row {row.sha256}"]
    print(f"ok    document {row.pk}: row and file in the store have SHA-256 {actual[:12]}...")
    return []


if __name__ == "__main__":
    sys.exit(main())
