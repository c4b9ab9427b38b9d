# CivicForum: `make run` to try it, `make test` to check it. Every target is idempotent;
# stamp files under .venv/ and node_modules/ skip work already done.

PYTHON ?= python3.11
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/civicforum/static/vendor
GOVUK := node_modules/govuk-frontend/dist/govuk
PYTEST_ARGS ?= -n 2

.PHONY: run test install assets migrate demo lint clean chromium

run: install assets migrate demo
	@echo "CivicForum is at http://127.0.0.1:$(PORT)/ (staff area: /staff/)"
	DEBUG=1 $(BIN)/civicforum runserver 127.0.0.1:$(PORT)

test: install assets chromium
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed $(VENV)/.tables-compiled node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $@

# numba compiles the table engine's loops on first use (about 7 s) and caches the machine code: compile
# them now, so that the first plan takes its usual seconds. Again whenever the loops change.
$(VENV)/.tables-compiled: $(VENV)/.installed src/civicforum/tables/compiled.py
	$(BIN)/python -m civicforum.tables.warm_up
	touch $@

node_modules/.installed: package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

# GOV.UK Frontend's CSS refers to /assets/; rewrite to paths relative to the stylesheet.
assets: $(VENDOR)/.built

$(VENDOR)/.built: node_modules/.installed
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/govuk
	cp -R $(GOVUK)/assets $(VENDOR)/govuk/assets
	cp $(GOVUK)/govuk-frontend.min.js $(VENDOR)/govuk/
	sed 's#url(/assets/#url(assets/#g' $(GOVUK)/govuk-frontend.min.css > $(VENDOR)/govuk/govuk-frontend.min.css
	touch $@

migrate: install
	DEBUG=1 $(BIN)/civicforum migrate --noinput

demo: migrate
	DEBUG=1 $(BIN)/civicforum demo --if-missing

# Browser tests use Debian's Chromium; never a Playwright browser download.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# The engines are pure Python with typed APIs, so mypy checks them; the Django apps are left to ruff.
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/civicforum/selection src/civicforum/tables src/civicforum/opinions

clean:
	rm -rf $(VENDOR) var/civicforum.sqlite3*
