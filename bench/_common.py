# ruff: noqa: S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Shared set-up of the in-process bench scripts (dossier_scale, download, notifications, password_floor).

Production settings (DEBUG=0) with every required variable filled with a local value, as bench/ours_target.py does,
a throwaway PostgreSQL database on 127.0.0.1:5432 (user postgres, trust) or SQLite in a temporary folder, and a
settings module under /tmp/ours-bench that imports portal.settings.base and moves STATIC_ROOT there (so nothing is
written into the work tree). Not part of `make test`.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
WORK = Path(os.environ.get("OURS_BENCH_DIR", "/tmp/ours-bench"))
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
SETTINGS = "ours_bench_settings_inproc"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> str:
    model = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"nproc={os.cpu_count()} cpu={model!r} python={platform.python_version()}"


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def pg_recreate(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url(name)


def pg_drop(name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001 - clean-up only
        print(f"note: could not drop {name}: {exc}", file=sys.stderr)


def bench_env(*, var_dir: str, database_url: str | None, **extra: str) -> dict:
    """The environment of a production-settings process for the bench (DEBUG off, local dummies)."""
    WORK.mkdir(parents=True, exist_ok=True)
    settings_file = WORK / f"{SETTINGS}.py"
    text = (
        '"""Bench only: production settings, with STATIC_ROOT under the bench folder."""\n'
        "from portal.settings.base import *  # noqa: F403\n\n"
        f"STATIC_ROOT = {str(WORK / 'static')!r}\n"
        "if DATABASES['default']['ENGINE'].endswith('sqlite3'):\n"
        "    DATABASES['default'].setdefault('OPTIONS', {}).update({'timeout': 30, "
        "'transaction_mode': 'IMMEDIATE', 'init_command': 'PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;'})\n"
    )
    if not settings_file.exists() or settings_file.read_text() != text:
        settings_file.write_text(text)
    env = {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(WORK), str(ROOT)]),
        "PYTHONPYCACHEPREFIX": str(WORK / "pycache"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": "http://127.0.0.1",
        "DEFAULT_FROM_EMAIL": "Verzuimportaal <noreply@bench.test>",
        "RECAPTCHA_PUBLIC_KEY": "bench-dummy",
        "RECAPTCHA_PRIVATE_KEY": "bench-dummy",
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": "ACbench",
        "TWILIO_AUTH_TOKEN": "bench",
        "TWILIO_FROM_NUMBER": "+3197010000000",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "MAIL_DELIVERY": "worker",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "VAR_DIR": var_dir,
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def setup_django(env: dict, *, migrate: bool = True, collectstatic: bool = False) -> None:
    """Apply env to this process, django.setup(), migrate (quietly)."""
    os.environ.update(env)
    if str(WORK) not in sys.path:
        sys.path.insert(0, str(WORK))
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
    if collectstatic and not (WORK / "static" / "staticfiles.json").exists():
        call_command("collectstatic", verbosity=0, interactive=False)


def manage(env: dict, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=dict(os.environ, **env), check=check, **kw)


def tempdir(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix, dir=str(WORK) if WORK.exists() else None)
