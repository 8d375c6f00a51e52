"""The environment of a production-settings (DEBUG off) bench process, and its settings module. Standard library only.

Every value that production requires is filled with a local dummy. The one deviation from production is the settings
module: a small file outside the work tree that imports portal.settings.base and moves STATIC_ROOT next to it, so
collectstatic never writes into the work tree.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python")
WORK = Path(os.environ.get("OURS_BENCH_DIR", "/tmp/ours-bench"))  # noqa: S108 - a local bench folder

# The SQLite options bench/RESULTS.md recommended (change 1); without them two gunicorn workers get "database is
# locked" (500) at the token step. OURS_SQLITE_STOCK=1 leaves them out.
SQLITE_OPTIONS = (
    "if DATABASES['default']['ENGINE'].endswith('sqlite3'):\n"
    "    DATABASES['default'].setdefault('OPTIONS', {}).update({'timeout': 30, "
    "'transaction_mode': 'IMMEDIATE', 'init_command': 'PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;'})\n"
)


def production_env(**overrides: str) -> dict[str, str]:
    """DEBUG off with every required setting a local value; `overrides` add to or replace them."""
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # https: with DEBUG off the passkeys' relying party must be a secure origin (portal/startup.py); the bench
        # reaches the server as http://127.0.0.1:PORT, which SITE_URL does not need to match
        "SITE_URL": "https://localhost",
        "DEFAULT_FROM_EMAIL": "Verzuimportaal <noreply@bench.test>",
        "RECAPTCHA_PUBLIC_KEY": "bench-dummy",
        "RECAPTCHA_PRIVATE_KEY": "bench-dummy",
        "RECAPTCHA_LOCAL": "0",
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": "ACbench00000000000000000000000000",
        "TWILIO_AUTH_TOKEN": "bench-twilio-token",
        "TWILIO_FROM_NUMBER": "+3197010000000",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "TRUSTED_PROXY_COUNT": "0",
        "MAIL_DELIVERY": "worker",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.update(overrides)
    return env


def debug_env(env: dict[str, str]) -> dict[str, str]:
    """The same process with DEBUG on and the dev-only apps installed: only for `manage.py bench_users`."""
    return {**env, "DEBUG": "1", "DEV_APPS": "1"}


def write_settings_module(folder: Path, name: str, *, static_root: Path, extra: str = "") -> str:
    """Write `folder/name.py` (portal.settings.base, STATIC_ROOT moved, the SQLite options) unless it is current."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (
        '"""Bench only: production settings, with STATIC_ROOT under the bench folder."""\n'
        "from portal.settings.base import *  # noqa: F403\n\n"
        f"STATIC_ROOT = {str(static_root)!r}\n"
    )
    if os.environ.get("OURS_SQLITE_STOCK") != "1":
        text += SQLITE_OPTIONS
    text += extra
    path = folder / f"{name}.py"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return name
