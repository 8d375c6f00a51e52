"""The house's floors hold: no import runs from a lower floor to a higher one (import-linter, pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contract_is_kept():
    result = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_core_imports_no_other_app_of_the_portal():
    apps = ("accounts", "twofactor", "dossier", "portal")
    for path in (ROOT / "core").rglob("*.py"):
        text = path.read_text()
        for app in apps:
            assert f"from {app}" not in text and f"import {app}" not in text, (path, app)
