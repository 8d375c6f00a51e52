# Verzuimportaal: `make run` (install, migrate, demo data, serve) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
LOCKS  := requirements.lock requirements-dev.lock
STAMP  := $(VENV)/.installed-$(shell cat $(LOCKS) pyproject.toml | cksum | cut -d' ' -f1)
PO     := $(wildcard locale/*/LC_MESSAGES/django.po)
MO     := $(PO:.po=.mo)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test screenshots install messages makemessages lint ci clean

# Runtime lock (what the image installs) plus the dev lock (tests, tools, the bench's S3 server), both hashed.
$(STAMP): $(LOCKS) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes $(addprefix -r ,$(LOCKS))
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

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

var/.seeded: | install messages
	mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo
	touch $@

run: install messages var/.seeded
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	@echo "Serving on http://localhost:$(PORT)/ (passkeys need localhost, not an IP address) - mails are written to var/mail/, SMS to var/sms/"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install messages
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || echo "NOTE: Chromium is missing, so the browser tests in tests/browser/ are SKIPPED. Install it with: sudo apt-get install chromium"
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS)
	@$(BIN)/python scripts/screenshots_overview.py

# Only the browser journeys, then the overview page of their screenshots (var/screenshots/index.html).
screenshots: install messages
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 tests/browser
	$(BIN)/python scripts/screenshots_overview.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache locale/*/LC_MESSAGES/*.mo
