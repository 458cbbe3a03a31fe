# The two commands a newcomer needs: `make run` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run test test-fast lint format bench load outage psql stop backup system-deps browser-deps clean-data help

help:
	@echo "make run    start the hub on its embedded PostGIS with demo data (prints the URL and logins)"
	@echo "make test   run the whole test suite (PostGIS and headless Chromium included)"
	@echo "make test-fast   everything but the browser tests (TEST_WORKERS=2: on two xdist workers)"
	@echo "make lint   ruff, mypy (strict: services, models, geo), deptry;  make bench   the benchmarks;  make psql   a psql shell on the hub's database"
	@echo "make load   many users at once: locust at 10, 50, 100 users against hub run (LOAD_ARGS=--redis ...)"
	@echo "make outage the database stopped and started under load: 503s, recovery time, no write lost (OUTAGE_ARGS)"
	@echo "make stop   stop the embedded PostgreSQL;  make clean-data   delete it (all local data)"
	@echo "make backup back up the hub's database to backups/hub-<UTC time>.dump (hub db restore FILE)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

system-deps:
	@scripts/install-system-deps.sh

browser-deps:
	@scripts/install-system-deps.sh --browser

run: system-deps $(STAMP)
	$(BIN)/hub run

test: browser-deps $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# No Chromium: the services, the API, the callbacks and the commands. TEST_WORKERS=2 (or auto) runs them on
# pytest-xdist workers, each on its own copy of the test database. Serial by default, as `make test`: on the
# shared 2-core machine it was measured on (load 16-18), two workers took 216 s where one took 150-155 s.
TEST_WORKERS ?= 1
test-fast: system-deps $(STAMP)
	$(BIN)/pytest -m "not browser" $(if $(filter-out 1,$(TEST_WORKERS)),-n $(TEST_WORKERS)) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/deptry .

format: $(STAMP)
	$(BIN)/ruff format .

bench: system-deps $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Not part of `make test`: about four minutes. LOAD_ARGS: e.g. --redis, --no-cache, --users 10,50 --seconds 60.
load: system-deps $(STAMP)
	$(BIN)/python -m bench.load.run $(LOAD_ARGS)

# Not part of `make test`: about two minutes. OUTAGE_ARGS: e.g. --users 20 --down 10 --seconds 60.
outage: system-deps $(STAMP)
	$(BIN)/python -m bench.load.outage $(OUTAGE_ARGS)

psql: system-deps $(STAMP)
	psql "$$($(BIN)/hub db url | sed 's/+psycopg//')"

backup: system-deps $(STAMP)
	$(BIN)/hub db backup

stop: $(STAMP)
	$(BIN)/hub db stop

clean-data: stop
	rm -rf .hub-data
