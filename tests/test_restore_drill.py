"""Backup and restore drill on PostgreSQL: scripts/backup.sh (what compose's backup service runs) writes a dump and
its manifest of a database with an employee and a document; scripts/restore_drill.py (make restore-drill) restores
it into a fresh database, migrates and passes; a manifest that disagrees with the dump makes it fail."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.factories import UserFactory, document_for

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="the restore drill needs PostgreSQL (DATABASE_URL=postgres://...)",
    ),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump and pg_restore are not installed"),
    pytest.mark.django_db(transaction=True),  # the rows must be committed for pg_dump to see them
]


def _database_url() -> str:
    """The test database (test_<name>, per xdist worker), not the one DATABASE_URL names."""
    db = connection.settings_dict
    auth = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE_", "PG"))}
    # The drill loads the portal's settings itself; the documents are where this test process stored them.
    env.update(
        DATABASE_URL=_database_url(),
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DEBUG="1",
        VAR_DIR=os.environ["VAR_DIR"],
    )
    return env


def _drill(backups: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/restore_drill.py", str(backups)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _drill_databases() -> set:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [f"{connection.settings_dict['NAME'][:30]}_drill_%"],
        )
        return {row[0] for row in cursor.fetchall()}


def test_backup_then_drill_passes_and_a_wrong_manifest_fails(tmp_path):
    employee = UserFactory()
    document = document_for(employee, title="Probleemanalyse")
    backups = tmp_path / "backups"
    subprocess.run(["bash", "scripts/backup.sh", str(backups)], cwd=ROOT, env=_env(), check=True, timeout=120)

    manifest_path = next((backups / "daily").glob("portal-*.json"))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["counts"]["dossier_document"] == 1
    assert manifest["counts"]["accounts_user"] == 1
    assert manifest["document"] == {
        "id": str(document.pk),
        "file": document.file.name,
        "sha256": document.sha256,
    }
    before = _drill_databases()

    passed = _drill(backups)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "restore drill: PASSED" in passed.stdout
    assert f"ok    document {document.pk}" in passed.stdout
    assert _drill_databases() == before  # dropped again

    wrong_count = {**manifest, "counts": {**manifest["counts"], "dossier_document": 2}}
    manifest_path.write_text(json.dumps(wrong_count))
    failed = _drill(backups)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "FAIL  rows of dossier_document: dump 2, restored 1" in failed.stdout

    wrong_hash = {**manifest, "document": {**manifest["document"], "sha256": "0" * 64}}
    manifest_path.write_text(json.dumps(wrong_hash))
    failed = _drill(backups)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"FAIL  document {document.pk}: row says SHA-256 {document.sha256}" in failed.stdout

    # The store no longer matches the database: the file was changed after its row was written.
    manifest_path.write_text(json.dumps(manifest))
    with open(Path(os.environ["VAR_DIR"]) / "documents" / document.file.name, "ab") as f:
        f.write(b"tampered")
    failed = _drill(backups)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "has SHA-256" in failed.stdout and "restore drill: FAILED" in failed.stdout
    assert _drill_databases() == before
