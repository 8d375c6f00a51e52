"""Every user-facing string is in locale/nl and locale/en, translated and not fuzzy."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = ["manage.py", "portal", "core", "accounts", "twofactor", "dossier", "templates", "locale"]


@pytest.fixture(scope="module")
def refreshed_catalogues(tmp_path_factory):
    """Run makemessages over a copy of the source, so a string missing from a catalogue shows up as untranslated."""
    work = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, work / name)
    env = {
        **os.environ,
        "DEBUG": "1",
        "DEV_APPS": "0",  # the dev-only apps (devtools) are not copied: they hold no user-facing strings
        "VAR_DIR": str(work / "var"),
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
    }
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "nl",
            "-l",
            "en",
            "--no-obsolete",
            "--ignore=var",
        ],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    return work / "locale"


def _msgattrib(po: Path, flag: str) -> str:
    result = subprocess.run(
        ["msgattrib", flag, "--no-wrap", str(po)], capture_output=True, text=True, check=True
    )
    return "\n".join(
        line for line in result.stdout.splitlines() if line.startswith("msgid") and line != 'msgid ""'
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_catalogue_has_every_string_translated(refreshed_catalogues, language):
    po = refreshed_catalogues / language / "LC_MESSAGES" / "django.po"
    assert _msgattrib(po, "--untranslated") == "", f"untranslated in {language}"
    assert _msgattrib(po, "--only-fuzzy") == "", f"fuzzy in {language}"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_committed_catalogue_compiles_cleanly(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
