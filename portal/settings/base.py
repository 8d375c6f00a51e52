"""Settings of the Verzuimportaal, complete, read from the environment (see .env.example and README)."""

import hashlib
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.settings.env import env_bool, env_float, env_int, env_list, env_log_format, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# ------------------------------------------------------------------------------------------------ core
DEBUG = env_bool("DEBUG", False)


def _debug_secret_key() -> str:
    """With DEBUG on, keep a generated key under var/ so sessions survive a restart of `make run`."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or (_debug_secret_key() if DEBUG else env_str("SECRET_KEY", required=True))
# Key rotation (README, "Runbook"): the previous key here keeps sessions and open reset links valid meanwhile.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else None)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off. See .env.example.")
# The absolute base of every link in an email; never derived from the request's Host header.
SITE_URL = (
    env_str("SITE_URL") or ("http://localhost:8000" if DEBUG else env_str("SITE_URL", required=True))
).rstrip("/")
PORTAL_NAME = env_str("PORTAL_NAME", "Verzuimportaal")
# Help a person can always reach (footer of every page, the robot check, the accessibility statement): the human
# way in for whoever gets stuck at a login step. Set the service desk's real number and address in production.
PORTAL_CONTACT_PHONE = env_str("PORTAL_CONTACT_PHONE", "088 000 00 00")
PORTAL_CONTACT_EMAIL = env_str("PORTAL_CONTACT_EMAIL", "helpdesk@example.nl")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
# Widgets render with the project templates too (the local captcha widget lives in templates/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------------------------ apps
DJANGO_APPS = [
    "dossier.apps.PortalAdminConfig",  # django.contrib.admin as the Web Portaal (an OTP admin site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
]
THIRD_PARTY_APPS = [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys: its views are wrapped in twofactor/passkey_views.py
    "phonenumber_field",
    "django_recaptcha",
    "csp",
    "import_export",  # HR's bulk import of employees in the Web Portaal (dossier/imports.py)
    "django_guid",  # the request id on every log line (LOGGING below)
    "django_prometheus",  # request counts and latencies (core/metrics.py serves them)
]
LOCAL_APPS = [
    "core",
    "portal.apps.PortalConfig",  # start-up checks only (portal/startup.py)
    "accounts",
    "twofactor",
    "dossier",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS
if DEBUG:
    # runserver's own static handler answers 500 to "/static/%2e%2e/..."; WhiteNoise, which serves the static files
    # in production, serves them in development too (from the finders, reloaded on change) and answers 404.
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django.contrib.staticfiles"), "whitenoise.runserver_nostatic")
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True

# --- dev-only apps (bench/README.md): bench and demo helpers that production never installs -----------------------
# `devtools` (manage.py bench_users) is installed with DEBUG on; DEV_APPS=0 leaves it out. Like every development
# switch, DEV_APPS=1 is refused with DEBUG off.
DEV_APPS = env_bool("DEV_APPS", DEBUG)
if DEV_APPS and not DEBUG:
    raise ImproperlyConfigured("DEV_APPS is a development switch and cannot run with DEBUG off.")
if DEV_APPS:
    INSTALLED_APPS.append("devtools.apps.DevtoolsConfig")
# --- end of dev-only apps -----------------------------------------------------------------------------------------

MIDDLEWARE = [
    # First and last: django-prometheus times the whole chain and counts every answer.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_guid.middleware.guid_middleware",  # the request id (X-Request-ID) before anything logs
    "core.metrics.MetricsMiddleware",  # /metrics for the scraper only, before the Host check (core/metrics.py)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.language.LanguageFromLinkMiddleware",  # ?lang= on a mail's link, before LocaleMiddleware reads the cookie
    "django.middleware.locale.LocaleMiddleware",
    # Redis down: the short translated 503 page (in the language just chosen), before anything reads the session.
    "portal.errors.StoreUnavailableMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "twofactor.middleware.VerifiedSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
                "accounts.idle.context",  # the idle-timeout dialog's countdown
            ],
        },
    },
]

# ------------------------------------------------------------------------------------------------ data
# DATABASE_URL, or PostgreSQL by its parts (DATABASE_HOST, what deploy/compose.yaml sets): a password taken as it
# is, where inside a URL every "/ # ? @ :" would have to be percent-encoded by hand or cut the URL in the wrong place.
if env_str("DATABASE_URL") and env_str("DATABASE_HOST"):
    raise ImproperlyConfigured("Set DATABASE_URL or DATABASE_HOST (with DATABASE_NAME, ...), not both.")
if env_str("DATABASE_HOST"):
    _missing = [name for name in ("DATABASE_NAME", "DATABASE_USER") if not env_str(name)]
    if _missing:
        raise ImproperlyConfigured(f"DATABASE_HOST is set: {' and '.join(_missing)} must be set too.")
    _database = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": env_str("DATABASE_HOST"),
        "PORT": env_int("DATABASE_PORT", 5432),
        "NAME": env_str("DATABASE_NAME"),
        "USER": env_str("DATABASE_USER"),
        "PASSWORD": env_str("DATABASE_PASSWORD", ""),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }
else:
    _database = dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
DATABASES = {"default": _database}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer (a network fault, not a refusal) fails the page or the health probe
    # after this many seconds, instead of holding the worker until gunicorn kills it. A URL's own ?connect_timeout=
    # wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite (make run, tests): wait for a lock instead of failing, take the write lock at BEGIN, WAL journal.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

REDIS_URL = env_str("REDIS_URL")
# Every cache and session key starts with this deployment's own prefix, so two portals (production and acceptance,
# say) on one Redis database never read each other's pages, limits or sessions. Derived from what differs between
# deployments (the site's address and its database), stable across restarts and key rotations; CACHE_KEY_PREFIX
# overrides it.
_DB = DATABASES["default"]
CACHE_KEY_PREFIX = (
    env_str("CACHE_KEY_PREFIX")
    or "portal-"
    + hashlib.sha256(
        f"{SITE_URL}|{_DB.get('HOST', '')}|{_DB.get('PORT', '')}|{_DB['NAME']}".encode()
    ).hexdigest()[:12]
)
# A Redis that does not answer (a network fault, not a refusal) fails the request after this many seconds (the 503
# page, portal/errors.py), instead of holding the worker until gunicorn kills it. Sessions use the same.
REDIS_TIMEOUT = env_int("REDIS_TIMEOUT", 2)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "portal"}}
CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX

# ------------------------------------------------------------------------------------------------ auth
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dossier:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "accounts.validators.UserAttributeSimilarityValidator"
    },  # Django's rules, with messages in NL too
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator"},
]
# Reset links expire after this many seconds (at most an hour).
PASSWORD_RESET_TIMEOUT = min(env_int("PASSWORD_RESET_TIMEOUT", 3600), 3600)

# ------------------------------------------------------------------------------------------------ sessions
# With Redis, sessions live there (one round trip per request, a per-user index for "end all sessions" and the
# sessions page; accounts/sessions_redis.py); without it (make run) in the database (accounts/sessions.py).
SESSION_REDIS_URL = REDIS_URL
SESSION_ENGINE = "accounts.sessions_redis" if SESSION_REDIS_URL else "accounts.sessions"
# Absolute lifetime (8 hours) and idle timeout (15 minutes) of a logged-in session.
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 8 * 3600)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# ------------------------------------------------------------------------------------------------ i18n
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

# ------------------------------------------------------------------------------------------------ static
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    # Documents: private, served by no URL; only the download views stream from it.
    "documents": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env_str("DOCUMENTS_S3_BUCKET"),
                "endpoint_url": env_str("DOCUMENTS_S3_ENDPOINT_URL"),
                "region_name": env_str("DOCUMENTS_S3_REGION"),
                "access_key": env_str("DOCUMENTS_S3_ACCESS_KEY_ID"),
                "secret_key": env_str("DOCUMENTS_S3_SECRET_ACCESS_KEY"),
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "location": "documents",
                # Path-style URLs (endpoint/bucket/key): what nginx's internal location proxies (deploy/nginx).
                "addressing_style": "path",
                "signature_version": "s3v4",
            },
        }
        if env_str("DOCUMENTS_S3_BUCKET")
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": VAR_DIR / "documents",
                "base_url": "/no-public-url/",
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# ------------------------------------------------------------------------------------------------ mail
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "core.mail_backends.FileAndConsoleBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Verzuimportaal <noreply@localhost>" if DEBUG else None)
if not DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured("DEFAULT_FROM_EMAIL is required when DEBUG is off. See .env.example.")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# "on_commit": mail is sent right after the transaction that queued it (make run, tests);
# "worker": requests only queue it and `manage.py send_notifications --loop` sends it (production), so
# no mail is ever sent inside the timing of a response.
MAIL_DELIVERY = env_str("MAIL_DELIVERY", "on_commit" if DEBUG else "worker")

# ------------------------------------------------------------------------------------------------ captcha
# Local mode: a local checkbox widget and a local check behind django-recaptcha's own HTTP call, for
# `make run` and tests where Google cannot be reached. Refused with DEBUG off.
RECAPTCHA_LOCAL = env_bool("RECAPTCHA_LOCAL", DEBUG)
if RECAPTCHA_LOCAL and not DEBUG:
    raise ImproperlyConfigured("RECAPTCHA_LOCAL is a development mode and cannot run with DEBUG off.")
if RECAPTCHA_LOCAL:
    # Google's published test keys; the verification never leaves this machine in local mode.
    RECAPTCHA_PUBLIC_KEY = "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI"
    RECAPTCHA_PRIVATE_KEY = "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe"
    SILENCED_SYSTEM_CHECKS = ["django_recaptcha.recaptcha_test_key_error"]
else:
    RECAPTCHA_PUBLIC_KEY = env_str("RECAPTCHA_PUBLIC_KEY", required=True)
    RECAPTCHA_PRIVATE_KEY = env_str("RECAPTCHA_PRIVATE_KEY", required=True)
RECAPTCHA_DOMAIN = env_str("RECAPTCHA_DOMAIN", "www.google.com")
RECAPTCHA_VERIFY_REQUEST_TIMEOUT = env_int("RECAPTCHA_VERIFY_REQUEST_TIMEOUT", 5)

# ------------------------------------------------------------------------------------------------ security
# Proxy trust (README, "Proxy trust"). X-Forwarded-For is read only when the socket peer is one of
# FORWARDED_ALLOW_IPS (addresses or networks; the same variable gunicorn reads), and then the entry that many
# proxies from the right. X-Forwarded-Proto is not read here: gunicorn turns it into wsgi.url_scheme, from those
# addresses only, so SECURE_PROXY_SSL_HEADER stays unset and a client on port 8000 cannot forge either header.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
TRUSTED_PROXY_IPS = env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# The health probes ask over plain HTTP inside the network (portal/health.py); curl -f would take a 301 for "ok".
SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"] if RECAPTCHA_LOCAL else ["https://www.google.com/recaptcha/"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if not RECAPTCHA_LOCAL:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] += [
        "https://www.google.com/recaptcha/",
        "https://www.gstatic.com/recaptcha/",
    ]

# ------------------------------------------------------------------------------------------------ portal
# Limits on "Wachtwoord vergeten": (requests, seconds) per client address and per email address.
ACCOUNTS_RESET_LIMIT_PER_IP = (env_int("RESET_LIMIT_PER_IP", 10), 3600)
ACCOUNTS_RESET_LIMIT_PER_EMAIL = (env_int("RESET_LIMIT_PER_EMAIL", 3), 3600)
# An invitation (activation) link lives this many days; it also dies when used or when a newer one is sent.
ACCOUNTS_INVITATION_TIMEOUT = env_int("INVITATION_TIMEOUT_DAYS", 7) * 24 * 3600

# Second factor. SMS through Twilio in production; one file per message under var/sms/ with DEBUG.
TWOFACTOR_SMS_GATEWAY = env_str("SMS_GATEWAY", "file" if DEBUG else "twilio")
if TWOFACTOR_SMS_GATEWAY == "file" and not DEBUG:
    raise ImproperlyConfigured("SMS_GATEWAY=file is a development gateway and cannot run with DEBUG off.")
TWOFACTOR_TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWOFACTOR_TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWOFACTOR_TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
if TWOFACTOR_SMS_GATEWAY == "twilio" and not (
    TWOFACTOR_TWILIO_ACCOUNT_SID
    and TWOFACTOR_TWILIO_AUTH_TOKEN
    and (TWOFACTOR_TWILIO_FROM_NUMBER or TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID)
):
    raise ImproperlyConfigured(
        "SMS_GATEWAY=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER or "
        "TWILIO_MESSAGING_SERVICE_SID. See .env.example."
    )
TWOFACTOR_TWILIO_TIMEOUT = env_int("TWILIO_TIMEOUT", 5)
TWOFACTOR_SMS_CODE_VALIDITY = env_int("SMS_CODE_VALIDITY", 300)
TWOFACTOR_SMS_MAX_WRONG_TRIES = env_int("SMS_MAX_WRONG_TRIES", 5)
TWOFACTOR_SMS_RESEND_COOLDOWN = env_int("SMS_RESEND_COOLDOWN", 60)
TWOFACTOR_SMS_HOURLY_CAP = env_int("SMS_HOURLY_CAP", 5)
if env_list("SMS_ALLOWED_REGIONS"):
    TWOFACTOR_SMS_ALLOWED_REGIONS = tuple(env_list("SMS_ALLOWED_REGIONS"))
TWOFACTOR_TOTP_ISSUER = env_str("TOTP_ISSUER", PORTAL_NAME)
OTP_TOTP_ISSUER = TWOFACTOR_TOTP_ISSUER
# django-otp's own admin screens never show keys or codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- passkeys (twofactor/passkeys.py) -------------------------------------------------------------------
# The relying party is SITE_URL's host and the only origin SITE_URL's own, read per request; PASSKEY_RP_ID (a parent
# domain) and PASSKEY_ORIGINS override them. With DEBUG off a mismatch stops start-up (portal/startup.py).
# `make run` serves http://localhost:8000: an IP address can never be a WebAuthn RP id.
TWOFACTOR_PASSKEY_RP_ID = env_str("PASSKEY_RP_ID", "")
TWOFACTOR_PASSKEY_ORIGINS = env_list("PASSKEY_ORIGINS")
# Staff (Web Portaal) may then log in with a passkey or the app only, not SMS (the weakest factor).
TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR = env_bool("STAFF_REQUIRE_STRONG_FACTOR", False)
OTP_WEBAUTHN_RP_ID_CALLABLE = "twofactor.passkeys.rp_id_for_request"
OTP_WEBAUTHN_RP_NAME = PORTAL_NAME
OTP_WEBAUTHN_HELPER_CLASS = "twofactor.passkeys.PortalWebAuthnHelper"
OTP_WEBAUTHN_ALLOWED_ORIGINS = TWOFACTOR_PASSKEY_ORIGINS or [
    SITE_URL
]  # the library's own check; ours: passkeys.py
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is the second step, after the password
# --- end of passkeys ----------------------------------------------------------------------------------------------

# Dossier documents: upload size limit, and how downloads are served in production.
DOSSIER_MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024
# "": Django streams the file; "nginx": X-Accel-Redirect to DOSSIER_ACCEL_PREFIX; "sendfile": X-Sendfile.
DOSSIER_SENDFILE = env_str("DOCUMENT_SENDFILE", "")
DOSSIER_ACCEL_PREFIX = env_str("DOCUMENT_ACCEL_PREFIX", "/protected-documents/")
# The employee's page body is rendered once per change and kept in the cache (dossier/page_cache.py). Its key holds
# the counter on the user row, so a per-process memory cache is as correct as Redis (only less shared).
DOSSIER_PAGE_CACHE = env_bool("DOSSIER_PAGE_CACHE", True)

# HR's bulk import of employees (django-import-export; dossier/imports.py). The uploaded file waits for the
# "Confirm" step in the cache (Redis in production, so any app server can finish it), never on one server's disk.
# The portal exports nothing through django-import-export; should it ever, cells that start with "=" are not formulas.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
IMPORT_EXPORT_SKIP_ADMIN_CONFIRM = False
DOSSIER_IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 2000)

# After staff change an employee's email or mobile, nobody may reset that employee's second factor for this long
# (dossier/account_rules.py): the mail to the old address must reach the employee before a takeover could.
STAFF_CONTACT_CHANGE_COOLDOWN = env_int("STAFF_CONTACT_CHANGE_COOLDOWN", 7 * 24 * 3600)

# Audit events and access log: kept at least two years (NEN 7513); `manage.py prune_audit` removes older rows.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 730)
if AUDIT_RETENTION_DAYS < 730:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 730 (two years, NEN 7513).")

# ------------------------------------------------------------------------------------------------ health
# portal/health.py: how long the answer waits for each probe, and how old the oldest pending mail may be before
# /healthz/ turns red (the worker or SMTP is stuck).
HEALTH_PROBE_TIMEOUT = env_int("HEALTH_PROBE_TIMEOUT", 2)
HEALTH_MAIL_BACKLOG_MINUTES = env_int("HEALTH_MAIL_BACKLOG_MINUTES", 15)

# ------------------------------------------------------------------------------------------------ logging
# Every line on stdout: one JSON object (python-json-logger, core/logs.py) with the request id, or plain text for
# `make run`. The request id is nginx's $request_id, passed as X-Request-ID (a new one when it is missing or not a
# UUID) and returned in the response's X-Request-ID; gunicorn's access log carries it too (gunicorn.conf.py).
# RedactFilter keeps e-mail addresses and link tokens out of every line, whoever logs it.
LOG_FORMAT = env_log_format()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        "redact": {"()": "core.logs.RedactFilter"},
    },
    "formatters": {
        "json": {"()": "core.logs.JsonLineFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (a console on stderr with DEBUG, runserver's request lines) would write around the
        # filters above: without them, its lines reach the root handler like every other.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        # django-guid says at INFO, on every request, whether the header came; its warnings (a malformed id) stay.
        "django_guid": {"level": "WARNING"},
    },
}
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
}

# ------------------------------------------------------------------------------------------------ metrics
# Prometheus scrapes each app server's /metrics with this token as a Bearer token; unset, /metrics does not exist.
# With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR too (read by prometheus_client and gunicorn.conf.py).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be at least 32 characters (or unset: no metrics endpoint)."
    )

# ------------------------------------------------------------------------------------------------ error reports
# Optional: Sentry when SENTRY_DSN is set. portal/sentry.py sends no personal data (no cookies, headers with
# credentials, request bodies, local variables, e-mail addresses or link tokens).
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from portal.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )
