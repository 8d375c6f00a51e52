"""The dev-only app `devtools` (bench_users): installed with DEBUG on only; production settings never install it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_settings import PRODUCTION  # DEBUG off, every required value filled in

ROOT = Path(__file__).resolve().parent.parent.parent
INSTALLED = (
    "import django; django.setup(); from django.apps import apps; from django.conf import settings; "
    "print(apps.is_installed('devtools'), settings.DEV_APPS)"
)


def _run(env: dict, tmp_path, *args: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and k != "DEV_APPS"
        and not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_"))
    }
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings.base", **env})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "installed"),
    [
        (PRODUCTION, "False False"),
        ({"DEBUG": "1"}, "True True"),
        ({"DEBUG": "1", "DEV_APPS": "0"}, "False False"),
    ],
    ids=["production", "debug", "debug-without-dev-apps"],
)
def test_devtools_installed_only_with_debug(tmp_path, env, installed):
    result = _run(env, tmp_path, "-c", INSTALLED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == installed


def test_bench_users_is_not_a_command_under_production_settings(tmp_path):
    result = _run(PRODUCTION, tmp_path, "manage.py", "bench_users", "--count", "1")
    assert result.returncode != 0
    assert "Unknown command: 'bench_users'" in result.stderr
    assert not (tmp_path / "portal.sqlite3").exists()  # it never reached the database


def test_dev_apps_switch_is_refused_with_debug_off(tmp_path):
    result = _run({**PRODUCTION, "DEV_APPS": "1"}, tmp_path, "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEV_APPS" in result.stderr
