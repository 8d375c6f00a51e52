"""The portal in this process, for the in-process benches (dossier_scale, download, notifications, password_floor,
profile_pages): production settings (DEBUG off, bench.lib.env), a throwaway PostgreSQL database or SQLite in a
temporary VAR_DIR, and the settings module under /tmp/ours-bench (so nothing is written into the work tree)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys

from bench.lib.env import PY, ROOT, WORK, production_env, write_settings_module
from bench.lib.server import Database, tempdir

SETTINGS = "ours_bench_settings_inproc"


def bench_env(*, var_dir: str, database_url: str | None, **extra: str) -> dict:
    """The environment of a production-settings process for the bench (DEBUG off, local dummies)."""
    write_settings_module(WORK, SETTINGS, static_root=WORK / "static")
    env = production_env(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        PYTHONPATH=os.pathsep.join([str(WORK), str(ROOT)]),
        PYTHONPYCACHEPREFIX=str(WORK / "pycache"),
        VAR_DIR=var_dir,
        LOG_LEVEL="WARNING",
    )
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


@contextlib.contextmanager
def portal(*, db: str, db_name: str, var_prefix: str, collectstatic: bool = False, **extra: str):
    """Django set up in this process on a throwaway database (db "pg") or SQLite in the VAR_DIR (db "sqlite");
    yields the env (for subprocesses: manage.py, gunicorn). Closes the connections, drops the database and removes
    the VAR_DIR on the way out."""
    var_dir = tempdir(var_prefix)
    database = Database(db_name) if db == "pg" else None
    env = bench_env(var_dir=var_dir, database_url=database.recreate() if database else None, **extra)
    try:
        setup_django(env, collectstatic=collectstatic)
        yield env
    finally:
        if "django" in sys.modules:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
        if database:
            database.drop(quiet=True)
        shutil.rmtree(var_dir, ignore_errors=True)


def manage(env: dict, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a subprocess with this process's environment plus `env`."""
    cmd = [PY, "manage.py", *args]
    return subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **env), check=check, **kw)  # noqa: S603


def verified_client(user):
    """Django's test client in a session past both factors (force_login plus django-otp's device key)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user, backend="accounts.backends.EmailBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def explain(queryset, *, count: bool = False) -> list[str]:
    """EXPLAIN ANALYZE of a queryset (PostgreSQL), or of a COUNT over it."""
    from django.db import connection

    with connection.cursor() as cur:
        if count:
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
            cur.execute(f"EXPLAIN ANALYZE SELECT COUNT(*) FROM ({sql}) s", params)  # noqa: S608 - our own SQL
        else:
            sql, params = queryset.query.sql_with_params()
            cur.execute("EXPLAIN ANALYZE " + sql, params)
        return [row[0] for row in cur.fetchall()]
