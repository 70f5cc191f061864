# EcoTrace: the two commands a fresh machine needs are `make dev` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint typecheck unit build bench clean schema data

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "EcoTrace needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make dev: install what is needed, then run the local Appwrite-compatible stack on 127.0.0.1:8787
dev: $(STAMP)
	$(BIN)/python -m ecotrace_local

## make test: install what is needed, then ruff, mypy and pytest
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

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
	rm -rf dist .mypy_cache .ruff_cache .pytest_cache
