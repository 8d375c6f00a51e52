# ruff: noqa: S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Our portal as a target of ../shared/peers/two_factor_peer/measure.py, next to the django-two-factor-auth peer.

measure.py loads this file in the PEER venv (/tmp/peer-venv), so nothing here imports the portal or Django: the
environment and the settings module come from bench/lib/env.py and the bench users' email, password and TOTP secret
from devtools/bench_identity.py, both standard library only (the work tree is appended to sys.path for them).

    cd ../shared/peers
    /tmp/peer-venv/bin/python two_factor_peer/measure.py -d 8 --target-file peer \
        --target-file /work/main/bench/ours_target.py --rounds 2
    # PostgreSQL: the peer's throwaway cluster; our portal uses its own database "ours_bench" in that cluster
    eval "$(bash two_factor_peer/pg.sh start)"; bash two_factor_peer/setup.sh
    /tmp/peer-venv/bin/python two_factor_peer/measure.py -d 8 --target-file peer \
        --target-file /work/main/bench/ours_target.py --rounds 2

The server runs the production settings (DEBUG=0) with every required variable filled with a local value, Redis db
10 as the cache (production uses Redis for the login limits), gunicorn with BENCH_WORKERS sync workers. One
deviation: the settings module is a file under /tmp/ours-bench that imports portal.settings.base and moves STATIC_ROOT
and VAR_DIR there, so collectstatic and the SQLite database never write into the work tree. bench_users refuses to
run with DEBUG off, so only that prepare step runs with DEBUG=1 (same database, same VAR_DIR).

Workers: measure.py's --workers N sets the peer's gunicorn to N and exports BENCH_WORKERS=N before it loads the target
files, so ours starts with the same count (e.g. --workers 5, gunicorn's (2 x cores) + 1 on this 2-core machine);
without it both use measure.py's default, 2. Each worker keeps one PostgreSQL connection (DATABASE_CONN_MAX_AGE), far
below the pg.sh cluster's max_connections=50.

Cookies: with DEBUG off the session and CSRF cookies are Secure; measure.py keeps its own jar (update_jar ignores the
Secure attribute) and sends them back over plain http, so no change is needed.

The token step: measure.py GETs token_page (untimed) and needs a 200 there, so it is /twofactor/verify/ itself; the
browser's extra hop GET /twofactor/?next=/dossier/ (302 to it) only stores `next`, and /dossier/ is the default.

BENCH_HASHER=django (see ours_target_django_hasher.py) swaps the hasher for Django's Argon2PasswordHasher (100 MiB,
t=2, p=8, the peer's), for the "password step at equal hasher parameters" comparison.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CHECKOUT = Path(__file__).resolve().parent.parent
if str(CHECKOUT) not in sys.path:
    sys.path.append(str(CHECKOUT))  # appended: nothing of the peer's is shadowed

from bench.lib.env import PY, WORK, production_env, write_settings_module  # noqa: E402
from devtools.bench_identity import BENCH_PASSWORD  # noqa: E402
from devtools.bench_identity import bench_email as _bench_email  # noqa: E402
from devtools.bench_identity import bench_secret as _bench_secret  # noqa: E402

PREFIX = "bench"
# measure.py --workers N exports BENCH_WORKERS before loading target files; unset, measure.py's default is 2
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
USERS = 2000
DOCUMENTS = 20
HASHER = os.environ.get(
    "BENCH_HASHER", "portal"
)  # "portal" (19 MiB, t=2, p=1) or "django" (100 MiB, t=2, p=8)


def bench_email(i: int) -> str:
    return _bench_email(PREFIX, i)


def totp_secret(i: int) -> str:
    return _bench_secret(PREFIX, i)


PORTAL_ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}  # accounts/hashers.py
DJANGO_ARGON2 = {"time_cost": 2, "memory_cost": 102400, "parallelism": 8}


def _settings_module(hasher: str) -> str:
    """Write the bench settings module under WORK and return its name."""
    name = f"ours_bench_settings_{hasher}" + (
        "_stocksqlite" if os.environ.get("OURS_SQLITE_STOCK") == "1" else ""
    )
    extra = ""
    if hasher == "django":
        extra = (
            "PASSWORD_HASHERS = ['django.contrib.auth.hashers.Argon2PasswordHasher', "
            "'accounts.hashers.PortalArgon2PasswordHasher', 'django.contrib.auth.hashers.PBKDF2PasswordHasher']\n"
        )
    return write_settings_module(WORK, name, static_root=WORK / "static", extra=extra)


def _database_url() -> tuple[str | None, str]:
    """SQLite under WORK by default; with the peer's DATABASE_URL (pg.sh) our own database in the same cluster."""
    peer = os.environ.get("DATABASE_URL")
    if not peer:
        return None, "sqlite"
    u = urlsplit(peer)
    return urlunsplit((u.scheme, u.netloc, "/ours_bench", "", "")), "postgresql"


_DB_URL, _DB = _database_url()
_VAR = WORK / "var"
_VAR.mkdir(parents=True, exist_ok=True)

ENV = production_env(
    DJANGO_SETTINGS_MODULE=_settings_module(HASHER),
    PYTHONPATH=str(WORK),
    PYTHONPYCACHEPREFIX=str(WORK / "pycache"),
    ALLOWED_HOSTS="127.0.0.1,localhost",
    VAR_DIR=str(_VAR),
    REDIS_URL=os.environ.get("OURS_REDIS_URL", "redis://127.0.0.1:6379/10"),
    LOG_LEVEL="WARNING",
)
if _DB_URL:
    ENV["DATABASE_URL"] = _DB_URL

_CREATE_DB = (
    "import os, psycopg\n"
    "from urllib.parse import urlsplit\n"
    "u = urlsplit(os.environ['DATABASE_URL'])\n"
    "admin = u._replace(path='/postgres').geturl()\n"
    "with psycopg.connect(admin, autocommit=True) as c:\n"
    "    if not c.execute(\"select 1 from pg_database where datname='ours_bench'\").fetchone():\n"
    "        c.execute('create database ours_bench')\n"
)
_CLEAR_CACHE = "import django; django.setup(); from django.core.cache import cache; cache.clear()"
# bench_users --clear deletes and re-creates 2000 users, their devices, employments and 40,000 documents in every
# round, where the peer's make_users leaves existing users alone. Left to itself, PostgreSQL's autovacuum then worked
# through those dead rows during our timed phases (2026-12-07: pg_stat_user_tables showed 12 autovacuums of
# dossier_document in 12 rounds, of the peer's tables one; our phases' database CPU per request 0.9 ms in rounds
# without it, 1.2-1.4 with). Vacuumed and analysed here, both start on settled tables.
_VACUUM = (
    "import os, psycopg\n"
    "with psycopg.connect(os.environ['DATABASE_URL'], autocommit=True) as c:\n"
    "    c.execute('VACUUM ANALYZE')\n"
)

PREPARE = [
    *([[PY, "-c", _CREATE_DB]] if _DB_URL else []),
    # first: with DEBUG off the start-up check refuses every command while STATIC_ROOT has no manifest
    [PY, "manage.py", "collectstatic", "--noinput", "-v0"],
    [PY, "manage.py", "migrate", "--noinput", "-v0"],
    # bench_users refuses to run with DEBUG off: only this step runs with DEBUG=1 (same database and VAR_DIR)
    [
        "env",
        "DEBUG=1",
        "DEV_APPS=1",  # the dev-only app with bench_users (installed with DEBUG anyway; explicit)
        PY,
        "manage.py",
        "bench_users",
        "--count",
        str(USERS),
        "--documents",
        str(DOCUMENTS),
        "--prefix",
        PREFIX,
        "--clear",
    ],
    *([[PY, "-c", _VACUUM]] if _DB_URL else []),
    [PY, "-c", _CLEAR_CACHE],  # no login limit or throttle left over from an earlier run
]

TARGET = {
    "name": "verzuimportaal" + (" (Django argon2 defaults)" if HASHER == "django" else ""),
    "db": _DB,
    "server": {
        "cmd": [
            str(CHECKOUT / ".venv/bin/gunicorn"),
            "portal.wsgi:application",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            "127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        "cwd": str(CHECKOUT),
        "env": ENV,
        "prepare": PREPARE,
    },
    "python": PY,
    "versions": ["Django", "django-otp", "argon2-cffi", "gunicorn", "psycopg", "redis"],
    "users": USERS,
    "user_email": bench_email,
    "user_password": lambda i: BENCH_PASSWORD,
    "totp_secret": totp_secret,
    "csrf_field": "csrfmiddlewaretoken",
    "csrf_regex": r'name="csrfmiddlewaretoken" value="([^"]+)"',
    "login_page": "/accounts/login/?next=/dossier/",
    "password_post": None,  # POST back to the login page (its ?next= is read by LoginView.get_redirect_url)
    "password_fields": {"username": "{email}", "password": "{password}"},
    "password_ok": {"status": [302], "location_contains": "/twofactor/?next="},
    "token_page": "/twofactor/verify/",
    "token_post": "/twofactor/verify/",
    "token_fields": {"token": "{code}"},
    "token_ok": {"status": [302], "location_contains": "/dossier/"},
    "docs_page": "/dossier/",
    # every bench user has 20 documents "Bench document 1" .. "Bench document 20", all on the first page (25)
    "docs_ok": {"status": [200], "contains": "Bench document 1</a>"},
    # the 5432 cluster or pg.sh's: only read when DATABASE_URL is set (the peer's cluster, which we share)
    "db_pid_file": "/tmp/peer-pg/data/postmaster.pid",
    "argon2": DJANGO_ARGON2 if HASHER == "django" else PORTAL_ARGON2,
}

if __name__ == "__main__":  # a quick look at what measure.py will get
    print(TARGET["name"], _DB, ENV.get("DATABASE_URL"), totp_secret(0), file=sys.stderr)
