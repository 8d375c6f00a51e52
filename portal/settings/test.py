"""Test settings: only overrides of base (fast hasher, local captcha, mail in memory unless a test asks for SMTP)."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DEBUG", "1")
# Each test process (and each xdist worker) gets its own folder for documents, mail and SMS files.
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="portal-test-")
atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)
os.environ.setdefault("SITE_URL", "https://portal.example.test")

from portal.settings.base import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A test database in a file (WAL), not Django's shared in-memory one: with that, the live server of the browser
    # tests hands every request thread the test's own connection, so two requests at once (a page and its PDF
    # frame) interleave their transactions on one connection, and an upload's mail can be sent by another
    # request's commit, after the upload's response. With a file each thread has its own connection, as in use.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["VAR_DIR"], "test.sqlite3")}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAIL_DELIVERY = "worker"  # tests run the outbox worker themselves (deliver_mail)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
if not os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
else:
    # Each xdist worker gets its own Redis database, so clearing the cache between tests stays private.
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
    _base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"{_base}/{1 + int(_worker) % 15}",
        }
    }
    # Sessions in a database of their own per worker (15, 14, ...), so a test's cache.clear() logs nobody out;
    # tests/conftest.py empties it around each test.
    SESSION_REDIS_URL = f"{_base}/{15 - int(_worker) % 7}"
CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX  # noqa: F405

# The page cache is on in every test (one process, so the memory cache is shared): a write that forgets to renew a
# page shows up as a stale page in the tests that read it after the write.
DOSSIER_PAGE_CACHE = True

# Serve static files from the source folders (no collectstatic in tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
