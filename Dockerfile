# Verzuimportaal: gunicorn behind a TLS-terminating proxy (nginx). Build: docker build -t verzuimportaal .
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 portal

WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install -r requirements.lock

COPY . .
# Compiled catalogues and collected static files are built into the image, not committed.
RUN for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done \
 && env DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost SITE_URL=https://build.invalid \
      DEFAULT_FROM_EMAIL=build@build.invalid RECAPTCHA_PUBLIC_KEY=build RECAPTCHA_PRIVATE_KEY=build \
      TWILIO_ACCOUNT_SID=build TWILIO_AUTH_TOKEN=build TWILIO_FROM_NUMBER=build VAR_DIR=/tmp/build \
      python manage.py collectstatic --noinput \
 && rm -rf /tmp/build \
 && mkdir -p /app/var && chown portal:portal /app/var

USER portal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS -H "Host: ${HEALTHCHECK_HOST:-localhost}" http://127.0.0.1:8000/healthz/ || exit 1
# Mail worker: run the same image with `python manage.py send_notifications --loop`.
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
