# Quick start: `make run` serves the site with demo content; `make test` runs the suite.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
# The interpreter comes from .python-version (pyenv resolves "3.12" to the newest 3.12.x).
BASE_PYTHON ?= $(shell pyenv which python 2>/dev/null || command -v python$$(cat .python-version) || echo python3)
PORT ?= 8000
HTTP_PORT ?=
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/\$$(PORT)/$(PORT)/g' \
		| awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@$(BASE_PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12+ needed, see .python-version"'
	$(BASE_PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed  ## create .venv and install the dependencies

run: install  ## migrate, load the demo content and serve on 127.0.0.1:$(PORT)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo_content
	@echo "Create an admin account with: $(BIN)/python manage.py createsuperuser"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

run-cached: install  ## as run, behind Debian's Varnish (installed if missing) on $(PORT)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo_content
	PORT=$(PORT) varnish/run-cached.sh

test: install  ## run the whole suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install  ## the edit-test loop: no browser, no slow tests
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

# The tests whose answers depend on the date and time, and instants that have
# broken such tests before: mid-week, a weekend, a month end, a year end and
# both clock changes of Europe/London (the clock ticks on from each).
CLOCK_TESTS := tests/newsletter/test_digests.py tests/newsletter/test_maintenance_in_digests.py \
	tests/maintenance tests/news/test_models.py tests/news/test_views.py \
	tests/portal_site/test_public_pages.py tests/cookies tests/editorial \
	tests/management_information tests/news/test_figures.py tests/newsletter/test_figures.py
CLOCK_INSTANTS := 2026-12-02T08:00:00+00:00 2026-12-05T15:00:00+00:00 \
	2026-11-30T12:00:00+00:00 2026-12-31T23:59:30+00:00 \
	2027-03-28T00:59:30+00:00 2027-10-31T00:59:30+00:00 2028-02-29T12:00:00+00:00

test-clock: install  ## the date-sensitive tests at fixed instants of the week, month and year
	@set -e; for now in $(CLOCK_INSTANTS); do \
		echo "== the clock says $$now"; \
		$(BIN)/python -m pytest -q -m "not browser and not slow" \
			--now=$$now $(CLOCK_TESTS) $(PYTEST_ARGS); \
	done

# npm's packages (package.json, package-lock.json): Lighthouse. It drives
# Debian's Chromium; nothing downloads a browser.
node_modules/.package-lock.json: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund

lighthouse: install node_modules/.package-lock.json  ## Lighthouse's layout shift (CLS) of every page type, with and without a stored cookie choice
	CHROME_PATH=/usr/bin/chromium $(BIN)/python .ci/lighthouse.py

run-production: install  ## the production topology on loopback: HTTPS on $(PORT), HTTP on $(PORT)+1
	PORT=$(PORT) HTTP_PORT=$(HTTP_PORT) $(BIN)/python -m deploy.run_production

lint: install  ## ruff and Django's checks
	$(BIN)/ruff check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

worker: install  ## a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A portal_site worker --beat --loglevel=info

bench: install  ## news pages against a constant page (needs PostgreSQL and Redis)
	$(BIN)/python bench/news_pages.py

bench-newsletter: install  ## a digest to 10,000 and 100,000 subscribers against raw smtplib
	$(BIN)/python bench/newsletter_digest.py

bench-purges: install  ## targeted purges against purging everything, through Varnish
	$(BIN)/python bench/purges.py

.PHONY: help install run run-cached run-production test test-fast test-clock lighthouse lint \
	worker bench bench-newsletter bench-purges
