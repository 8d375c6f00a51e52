"""Start-up: DEBUG on needs nothing; DEBUG off without a secret, or with a dev-only switch, stops with a message."""

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A collected STATIC_ROOT (its manifest only): production settings refuse to start without one.
STATIC_FIXTURE = ROOT / "tests" / "fixtures" / "staticfiles"

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
    "STATIC_ROOT": str(STATIC_FIXTURE),
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


def _wsgi(env: dict, tmp_path) -> subprocess.CompletedProcess:
    """What gunicorn does first: import the WSGI application with these settings. The database is the SQLite file
    under VAR_DIR unless `env` names one (the PostgreSQL run's DATABASE_URL names a database no test creates)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and k != "DATABASE_URL"
        and not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_", "DOCUMENT"))
    }
    clean.update({"VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", "import portal.wsgi; print('serving')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


S3 = {"DOCUMENTS_S3_BUCKET": "portal-docs", "DOCUMENTS_S3_ENDPOINT_URL": "https://s3.example.nl"}


@pytest.mark.parametrize(
    "env, refusal",
    [
        ({"STATIC_ROOT": "/srv/portal/static"}, "STATIC_ROOT=/srv/portal/static holds no staticfiles.json"),
        ({"DOCUMENT_SENDFILE": "x-accel"}, "DOCUMENT_SENDFILE='x-accel' is not one of"),
        ({**S3, "DOCUMENT_SENDFILE": "sendfile"}, "DOCUMENT_SENDFILE=sendfile needs a local file path"),
        (
            {**S3, "DOCUMENTS_S3_ENDPOINT_URL": "", "DOCUMENT_SENDFILE": "nginx"},
            "DOCUMENT_SENDFILE=nginx with S3 storage needs DOCUMENTS_S3_ENDPOINT_URL",
        ),
        (
            {"DOCUMENT_SENDFILE": "nginx", "DOCUMENT_ACCEL_PREFIX": "protected/"},
            "DOCUMENT_ACCEL_PREFIX must be",
        ),
    ],
)
def test_production_refuses_to_start_when_pages_or_downloads_cannot_work(tmp_path, env, refusal):
    for run in (_check, _wsgi):
        result = run({**PRODUCTION, **env}, tmp_path)
        assert result.returncode != 0, run.__name__
        assert refusal in result.stderr, (run.__name__, result.stderr[-2000:])
        assert "serving" not in result.stdout


def test_an_empty_manifest_is_refused_too(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    result = _wsgi({**PRODUCTION, "STATIC_ROOT": str(static)}, tmp_path)
    assert result.returncode != 0 and "holds no staticfiles.json" in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"DOCUMENT_SENDFILE": ""},
        {"DOCUMENT_SENDFILE": "nginx"},
        {"DOCUMENT_SENDFILE": "sendfile"},
        {**S3, "DOCUMENT_SENDFILE": "nginx"},
        {**S3, "DOCUMENT_SENDFILE": ""},
    ],
)
def test_production_starts_with_every_working_download_mode(tmp_path, env):
    result = _wsgi({**PRODUCTION, **env}, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "serving"


def test_production_refuses_to_start_on_a_database_that_does_not_answer(tmp_path):
    """Issue 30: one server with a wrong DATABASE_URL does not start (and so gets no traffic), instead of serving
    every page with 500 behind a red health check."""
    from tests.conftest import free_port

    result = _wsgi(
        {**PRODUCTION, "DATABASE_URL": f"postgres://portal@127.0.0.1:{free_port()}/portal"}, tmp_path
    )
    assert result.returncode != 0 and "serving" not in result.stdout
    assert "Refusing to start: not ready: database" in result.stderr, result.stderr[-2000:]


def test_collectstatic_is_not_refused_for_the_manifest_it_is_about_to_write(tmp_path):
    """The image build runs collectstatic with DEBUG off into an empty STATIC_ROOT; only then is it complete."""
    static = tmp_path / "static"
    result = _check({**PRODUCTION, "STATIC_ROOT": str(static)}, tmp_path)
    assert result.returncode != 0  # `check` refuses the empty folder ...
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_"))
    }
    clean.update(
        {
            **PRODUCTION,
            "STATIC_ROOT": str(static),
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        }
    )
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collect.returncode == 0, collect.stderr[-2000:]
    assert (static / "staticfiles.json").is_file()
    assert _check({**PRODUCTION, "STATIC_ROOT": str(static)}, tmp_path).returncode == 0  # ... and then starts


def test_forwarded_proto_is_left_to_gunicorn_and_forwarded_for_to_trusted_addresses(tmp_path):
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_"))
    }
    clean.update(
        {
            **PRODUCTION,
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "TRUSTED_PROXY_COUNT": "1",
            "FORWARDED_ALLOW_IPS": "172.28.0.10",
            "SECRET_KEY_FALLBACKS": "old-" + "k" * 50,
        }
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SECURE_PROXY_SSL_HEADER, s.TRUSTED_PROXY_COUNT, s.TRUSTED_PROXY_IPS, len(s.SECRET_KEY_FALLBACKS))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.stdout.strip() == "None 1 ['172.28.0.10'] 1", result.stderr


def _run(env: dict, tmp_path, code: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and not k.startswith(
            ("RECAPTCHA", "DJANGO", "TWILIO", "SMS_", "LOG_", "METRICS", "SENTRY", "PROMETHEUS")
        )
    }
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings.base", **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


LOG_A_LINE = (
    "import django, logging; django.setup();"
    "logging.getLogger('portal.audit').warning('login for %s', 'anna@example.nl');"
    "logging.getLogger('django.request').warning('Not Found: %s', '/accounts/reset/MTI/tok-123/')"
)


def test_production_logs_one_json_object_a_line_on_stdout(tmp_path):
    result = _run(PRODUCTION, tmp_path, LOG_A_LINE)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    audit, request = (json.loads(line) for line in result.stdout.splitlines())
    assert (audit["logger"], audit["level"], audit["message"]) == (
        "portal.audit",
        "WARNING",
        "login for [email]",
    )
    assert request["message"] == "Not Found: /accounts/reset/[redacted]" and request["request_id"] is None


def test_debug_logs_readable_text_and_log_format_overrides_it(tmp_path):
    text = _run({"DEBUG": "1"}, tmp_path, LOG_A_LINE)
    assert text.returncode == 0, text.stderr[-2000:]
    assert " WARNING portal.audit login for [email]" in text.stdout.splitlines()[0]
    as_json = _run({"DEBUG": "1", "LOG_FORMAT": "json"}, tmp_path, LOG_A_LINE)
    assert json.loads(as_json.stdout.splitlines()[0])["message"] == "login for [email]"


def _database_settings(env: dict, tmp_path) -> subprocess.CompletedProcess:
    """The DATABASES entry production settings build from `env` alone (no connection is made)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_", "DATABASE_"))
    }
    clean.update(
        {**PRODUCTION, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings.base", **env}
    )
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(json.dumps({k: d.get(k) for k in ('ENGINE', 'HOST', 'PORT', 'NAME', 'USER', 'PASSWORD', 'OPTIONS')}))"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


# What an operator may put in POSTGRES_PASSWORD; inside a URL each of these ends or splits a part.
URL_HOSTILE_PASSWORD = "p/a#s?s@w:o%rd 1"


def test_database_parts_take_a_password_with_url_characters_as_it_is(tmp_path):
    """deploy/compose.yaml gives the app DATABASE_HOST/NAME/USER/PASSWORD, never a URL built from the password."""
    env = {
        "DATABASE_HOST": "db",
        "DATABASE_NAME": "portal",
        "DATABASE_USER": "portal",
        "DATABASE_PASSWORD": URL_HOSTILE_PASSWORD,
    }
    result = _database_settings(env, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db",
        "PORT": 5432,
        "NAME": "portal",
        "USER": "portal",
        "PASSWORD": URL_HOSTILE_PASSWORD,
        "OPTIONS": {"connect_timeout": 5},
    }


def test_a_database_url_still_works_and_keeps_its_own_connect_timeout(tmp_path):
    encoded = urllib.parse.quote(URL_HOSTILE_PASSWORD, safe="")
    url = f"postgres://portal:{encoded}@db.internal:6432/portal?connect_timeout=3"
    result = _database_settings({"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    database = json.loads(result.stdout)
    assert (database["HOST"], database["PORT"], database["PASSWORD"]) == (
        "db.internal",
        6432,
        URL_HOSTILE_PASSWORD,
    )
    assert database["OPTIONS"]["connect_timeout"] == 3


@pytest.mark.parametrize(
    "env, refusal",
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of json, text"),
        ({"METRICS_TOKEN": "kort"}, "METRICS_TOKEN"),
    ],
)
def test_a_wrong_log_format_or_a_short_metrics_token_stops_start_up(tmp_path, env, refusal):
    result = _check({**PRODUCTION, **env}, tmp_path)
    assert result.returncode != 0 and refusal in result.stderr


@pytest.mark.parametrize(
    "env, refusal",
    [
        (
            {
                "DATABASE_URL": "postgres://portal:x@db/portal",
                "DATABASE_HOST": "db",
                "DATABASE_NAME": "portal",
            },
            "Set DATABASE_URL or DATABASE_HOST",
        ),
        ({"DATABASE_HOST": "db", "DATABASE_USER": "portal"}, "DATABASE_NAME must be set too"),
    ],
)
def test_database_settings_that_contradict_or_lack_a_part_stop_start_up(tmp_path, env, refusal):
    result = _database_settings(env, tmp_path)
    assert result.returncode != 0
    assert refusal in result.stderr
