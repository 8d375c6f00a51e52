# Verzuimportaal: gunicorn behind a TLS-terminating proxy (deploy/nginx). Build: docker build -t verzuimportaal .
# Runs as: the web server (default CMD), the mail worker, the migrate job and the scheduler (deploy/compose.yaml).
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles GUNICORN_BIND=0.0.0.0:8000

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 portal

WORKDIR /app
# Runtime packages only, every file checked against its hash, nothing resolved (--no-deps: the lock carries every
# package, with markers for the Python 3.11 patch releases that need more) and no source built; tests and tools
# (requirements-dev.lock) stay out. scripts/check_install.sh runs the same install on Python 3.11.2 in CI.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps --only-binary :all: -r requirements.lock && pip check

COPY . .
# Compiled catalogues and collected static files are built into the image, not committed. STATIC_ROOT is fixed
# above: start-up refuses a STATIC_ROOT without this manifest (portal/startup.py).
RUN for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done \
 && env DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost SITE_URL=https://build.invalid \
      DEFAULT_FROM_EMAIL=build@build.invalid RECAPTCHA_PUBLIC_KEY=build RECAPTCHA_PRIVATE_KEY=build \
      TWILIO_ACCOUNT_SID=build TWILIO_AUTH_TOKEN=build TWILIO_FROM_NUMBER=build VAR_DIR=/tmp/build \
      python manage.py collectstatic --noinput \
 && rm -rf /tmp/build \
 && mkdir -p /app/var && chown portal:portal /app/var \
 && chown -R portal:portal /app/staticfiles
# /app/staticfiles belongs to `portal`: a new "static" volume starts as a copy of it, and the migrate job (running
# as portal) collects each new image's files into it on every `up`.

USER portal
EXPOSE 8000
# The web server's readiness (database, cache, static manifest: portal/health.py). The mail worker,
# migrate job and scheduler override or disable it (deploy/compose.yaml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS -H "Host: ${HEALTHCHECK_HOST:-localhost}" http://127.0.0.1:8000/healthz/ready/ || exit 1
# Workers, threads, time-outs, bind and proxy trust come from the environment: gunicorn.conf.py.
CMD ["gunicorn", "portal.wsgi:application"]
