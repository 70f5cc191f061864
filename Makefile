# EcoTrace: the two commands a fresh machine needs are `make dev` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: dev test lint typecheck unit build bench clean schema data node browser cli-local cli-cloud appwrite

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "EcoTrace needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# npm packages (package-lock.json) into the git-ignored node_modules: the web SDK bundle the dashboard loads,
# appwrite-cli and playwright-core for the tests.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: install Node.js 20+ (the dashboard and the web tests need it)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

node: $(NODE_STAMP)

## make browser: Debian's chromium for the browser test, installed when missing and running as root (~30 s)
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser test (apt-get, about 30 s)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-liberation; } >/dev/null \
		|| echo "WARNING: apt-get could not install chromium: the browser test will be SKIPPED"; \
	else \
		echo "WARNING: chromium is missing and only root can install it here: the browser test will be SKIPPED"; \
		echo "         (as root: apt-get install -y chromium; or set ECOTRACE_CHROMIUM to a Chromium binary)"; \
	fi

## make dev: install what is needed, then run the local Appwrite-compatible stack on 127.0.0.1:8787
dev: $(STAMP)
	@$(MAKE) --no-print-directory node || echo "WARNING: no node_modules: the dashboard at / cannot load the web SDK"
	$(BIN)/python -m ecotrace_local

## make test: install what is needed, then ruff, mypy and pytest (web SDK, CLI and browser tests included)
test: $(STAMP) $(NODE_STAMP) browser lint typecheck
	$(BIN)/python -m pytest

## make cli-local / make cli-cloud: point the Appwrite CLI in this checkout at the local stack, and back
cli-local: $(STAMP)
	$(BIN)/python scripts/appwrite_local.py on

cli-cloud: $(STAMP)
	$(BIN)/python scripts/appwrite_local.py off

## make appwrite ARGS="push tables --all": the CLI (node_modules) against the running local stack
appwrite: $(STAMP) $(NODE_STAMP)
	$(BIN)/python scripts/appwrite_local.py cli $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

## make build: the deployable folder of every function, with the core vendored in (dist/functions/<id>)
build: $(STAMP)
	$(BIN)/python scripts/build_functions.py

## make schema: regenerate appwrite.json's tables and schema/SCHEMA.md from schema/tables.json
schema: $(STAMP)
	$(BIN)/python scripts/sync_schema.py

## make data: rebuild the shipped emission-factor dataset from the public source files in ../shared/data
data: $(STAMP)
	$(BIN)/python scripts/build_emission_factors.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean:
	rm -rf dist .mypy_cache .ruff_cache .pytest_cache .artifacts
