"""Start-up: DEBUG on needs nothing; DEBUG off without a secret, or with a dev-only switch, stops with a message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 50,
    "ALLOWED_HOSTS": "portal.example.nl",
    "SITE_URL": "https://portal.example.nl",
    "DEFAULT_FROM_EMAIL": "noreply@portal.example.nl",
    "RECAPTCHA_PUBLIC_KEY": "pub",
    "RECAPTCHA_PRIVATE_KEY": "priv",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM_NUMBER": "+3197010000000",
}


def _check(env: dict, tmp_path) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_"))
    }
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings.base", **env})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_starts_with_no_setup(tmp_path):
    result = _check({"DEBUG": "1"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists()


def test_production_settings_start(tmp_path):
    result = _check(PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DEFAULT_FROM_EMAIL", "RECAPTCHA_PRIVATE_KEY"]
)
def test_production_without_a_required_setting_stops_with_a_clear_message(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _check(env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_local_captcha_is_refused_with_debug_off(tmp_path):
    result = _check({**PRODUCTION, "RECAPTCHA_LOCAL": "1"}, tmp_path)
    assert result.returncode != 0
    assert "RECAPTCHA_LOCAL" in result.stderr


def test_file_sms_gateway_is_refused_with_debug_off(tmp_path):
    result = _check({**PRODUCTION, "SMS_GATEWAY": "file"}, tmp_path)
    assert result.returncode != 0
    assert "SMS_GATEWAY" in result.stderr


def test_documents_go_to_private_s3_storage_when_a_bucket_is_configured(tmp_path):
    env = {
        **PRODUCTION,
        "DOCUMENTS_S3_BUCKET": "portal-docs",
        "DOCUMENTS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO"))}
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings.base", **env})
    code = (
        "import django; django.setup(); from django.core.files.storage import storages; s = storages['documents'];"
        "print(type(s).__name__, s.bucket_name, s.default_acl, s.querystring_auth)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.stdout.split() == ["S3Storage", "portal-docs", "private", "True"], result.stderr
