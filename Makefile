# Verzuimportaal: `make run` (install, migrate, demo data, serve) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# The lowest Python the locks are made for (pyproject's requires-python says the same; tests/test_locks.py checks).
MIN_PYTHON := 3.11.2
# requirements-bootstrap.lock: the installer (uv), hashed, installed by the venv's own pip.
# requirements.lock: the runtime packages (what the image installs). requirements-dev.lock: the runtime packages
# again, exactly as pinned there, plus tests and tools: the development venv installs this one alone.
LOCKS  := requirements-bootstrap.lock requirements.lock requirements-dev.lock
# uv ignores machine-wide uv.toml files and never downloads a Python of its own; nothing is resolved at install.
UV     := UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never $(BIN)/uv
UV_INSTALL := $(UV) pip install --quiet --python $(BIN)/python --require-hashes --no-deps --no-build
LOCK_OPTS  := --quiet --universal --python-version $(MIN_PYTHON) --generate-hashes --no-strip-extras \
              --custom-compile-command "make lock"
STAMP  := $(VENV)/.installed-$(shell cat $(LOCKS) pyproject.toml | cksum | cut -d' ' -f1)
PO     := $(wildcard locale/*/LC_MESSAGES/django.po)
MO     := $(PO:.po=.mo)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test screenshots install lock messages makemessages lint ci clean backup restore-drill

# A venv of the machine's Python 3.11; its bundled pip installs only the pinned, hashed uv (requirements-bootstrap.lock);
# uv installs the dev lock with --require-hashes --no-deps --no-build (every file checked against its hash, no
# dependency resolved, no source built), then pip's own check must find every requirement met.
$(STAMP): $(LOCKS) pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:3]; sys.exit(not ((3, 11, 2) <= v < (3, 12)))' || { \
	  echo "Python $(MIN_PYTHON) up to 3.11.x is needed (found: $$($(PYTHON) --version 2>&1)); set PYTHON=/path/to/python3.11"; \
	  exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
	  -r requirements-bootstrap.lock
	$(UV_INSTALL) -r requirements-dev.lock
	$(BIN)/python -m pip check --disable-pip-version-check
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Re-lock: pins already in the locks are kept (uv prefers them); `make lock UPGRADE=1` moves every package to its
# newest release. Universal locks: markers for other platforms and Python 3.11 patch releases, extras kept.
lock: install
	echo uv | $(UV) pip compile - $(LOCK_OPTS) $(if $(UPGRADE),--upgrade) -o requirements-bootstrap.lock
	$(UV) pip compile pyproject.toml $(LOCK_OPTS) $(if $(UPGRADE),--upgrade) -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_OPTS) $(if $(UPGRADE),--upgrade) \
	  -o requirements-dev.lock

# GNU gettext's msgfmt builds the .mo files; install it where it is missing (Debian, as root).
msgfmt:
	@command -v msgfmt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "GNU gettext is missing: install it (apt-get install gettext / brew install gettext)"; exit 1; fi; }

%.mo: %.po | msgfmt
	msgfmt --check --statistics -o $@ $<

messages: $(MO)

makemessages: install
	$(BIN)/python manage.py makemessages -l nl -l en --ignore=.venv --ignore=var --ignore=staticfiles --ignore=tests --ignore=bench --no-obsolete
	$(BIN)/python scripts/fill_en_catalogue.py
	sh scripts/po_headers.sh

# The links in mails (the demo's too) point at the port served, unless SITE_URL is set.
RUN_ENV := DEBUG=1 SITE_URL=$${SITE_URL:-http://localhost:$(PORT)}

var/.seeded: | install messages
	mkdir -p var
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	touch $@

run: install messages var/.seeded
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	@echo "Serving on http://localhost:$(PORT)/ (passkeys need localhost, not an IP address) - mails are written to var/mail/, SMS to var/sms/"
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install messages
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || echo "NOTE: Chromium is missing, so the browser tests in tests/browser/ are SKIPPED. Install it with: sudo apt-get install chromium"
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS)
	@$(BIN)/python scripts/screenshots_overview.py

# Only the browser journeys, then the overview page of their screenshots (var/screenshots/index.html).
screenshots: install messages
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 tests/browser
	$(BIN)/python scripts/screenshots_overview.py

# CI runs this too (.ci/run): lint rules, the formatter's verdict (nothing is rewritten), the import contracts.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Backups (README, "Runbook"): the database named by DATABASE_URL (PostgreSQL) into BACKUP_DIR, as compose's
# backup service does; the drill restores the newest dump there (or DUMP=file) into a fresh database, migrates it
# and checks row counts and a document's SHA-256 against the dump's manifest; KEEP=1 keeps the drill database.
BACKUP_DIR ?= var/backups

backup:
	bash scripts/backup.sh $(BACKUP_DIR)

restore-drill: install
	KEEP=$(KEEP) $(BIN)/python scripts/restore_drill.py $(or $(DUMP),$(BACKUP_DIR))

clean:
	rm -rf $(VENV) staticfiles .pytest_cache locale/*/LC_MESSAGES/*.mo
