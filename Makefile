# GapFind — `make help` lists the targets. Needs only Python 3.10+ and make.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 1
THREADS ?= 4
# make run (waitress): the most connections held at once, and seconds an idle one is kept.
CONNECTIONS ?= 1000
IDLE_TIMEOUT ?= 30
BENCH_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run migrate test lint format bench bench-core clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "Python 3.10+ needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install every dependency

migrate: $(STAMP) ## Create or upgrade the database schema (SQLite in instance/ by default)
	$(BIN)/flask --app wsgi db upgrade

# waitress reads each request in full before a thread runs it (slow clients cost a socket, not
# a thread) and writes no access log of its own: deploy/serve.py, README "Serving: ...".
run: migrate ## Serve the API on HOST:PORT (default 127.0.0.1:5000), THREADS threads
	@test "$(WORKERS)" = 1 || { echo "make run is one process; several WORKERS go behind" \
		"nginx: README 'Scaling out'" >&2; exit 2; }
	$(BIN)/python -m deploy.serve --host $(HOST) --port $(PORT) --threads $(THREADS) \
		--connection-limit $(CONNECTIONS) --idle-timeout $(IDLE_TIMEOUT)

lint: $(STAMP) ## ruff lint + format check, mypy --strict on gapfind/, config.py, wsgi.py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint ## Lint, then the whole test suite (SQLite and PostgreSQL, Redis, gunicorn)
	$(BIN)/python -m pytest

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## Benchmark under gunicorn against a bare Flask floor (BENCH_ARGS=--quick)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-core: $(STAMP) ## Micro-benchmark of the pure core, in process
	$(BIN)/python -m bench.core_bench

clean: ## Remove the virtualenv and caches (keeps instance/, the database)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

# --- AWS Lambda ----------------------------------------------------------------------------------
# `sam build` runs this target for deploy/aws/template.yaml (BuildMethod: makefile); ARTIFACTS_DIR
# is where it wants the function's package. README "Deploy on AWS Lambda".
LAMBDA_PYTHON := $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
.PHONY: build-GapFindFunction
build-GapFindFunction:
	$(LAMBDA_PYTHON) deploy/aws/build.py "$(ARTIFACTS_DIR)"
