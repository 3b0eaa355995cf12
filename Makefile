# Wangge — the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WANGGE := $(BIN)/wangge
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install run test test-dates lint typecheck check migrations-check messages messages-check browser-test bench bench-quick openapi demo clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Wangge needs Python 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

## run: migrate, load the demo district if the database is empty, serve with a job worker
# Links in the demo's notices and messages lead to this server (unless WANGGE_SITE_URL is set).
run: export WANGGE_SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(WANGGE) migrate --noinput
	$(WANGGE) demo --if-empty
	$(WANGGE) demo --accounts
	@echo "Serving http://$(HOST):$(PORT)/ (Ctrl-C stops the server and its worker)"
	@WANGGE_DEBUG=1 $(WANGGE) worker --sleep 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	WANGGE_DEBUG=1 $(WANGGE) runserver --noreload $(HOST):$(PORT)

demo: install
	$(WANGGE) migrate --noinput
	$(WANGGE) demo --reset --yes

## test: lint, Django's checks, migrations and messages up to date, then the whole suite on
## every core (WORKERS=1 runs it in one process)
WORKERS ?= auto
test: install lint check migrations-check messages-check
	$(BIN)/pytest -q -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)

## test-dates: the suite (all but the browser and crash tests) again with the clock pinned to
## other days — Spring Festival, National Day, a year's last day, a make-up working Saturday
## (tests/pinned.py); DATES="2027-01-04 …" picks others
DATES ?= $(shell $(BIN)/python -c 'from tests.pinned import OTHER_DAYS; print(*OTHER_DAYS)' 2>/dev/null)
test-dates: install
	@for day in $(DATES); do \
		echo "== the suite on $$day"; \
		WANGGE_TEST_TODAY=$$day $(BIN)/pytest -q -n $(WORKERS) --dist loadgroup -m "not browser and not crash" $(PYTEST_ARGS) \
			|| exit 1; \
	done

## lint: ruff (lint and format), the type checker, then the layers (import-linter)
lint: install
	$(BIN)/ruff check src tests bench conftest.py
	$(BIN)/ruff format --check src tests bench conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## typecheck: mypy with the django-stubs plugin over the services, the API's schemas and the
## domain events (what and how strictly: [tool.mypy] in pyproject.toml)
typecheck: install
	$(BIN)/mypy

check: install
	$(WANGGE) check --fail-level WARNING

migrations-check: install
	$(WANGGE) makemigrations --check --dry-run

## messages: refresh the zh-Hans and English catalogues after changing strings
messages: install
	cd src/wangge && ../../$(WANGGE) makemessages -l zh_Hans -l en --no-obsolete --no-location \
		--ignore 'static/vendor/*'
	cd src/wangge && ../../$(WANGGE) compilemessages
messages-check: install
	$(BIN)/python -m wangge.core.messages_check

browser-test: install
	$(BIN)/pytest -q -m browser tests/browser

## screenshots: the pages at phone and desktop size, and the browser tests' own steps, into
## docs/screenshots/ (the browser tests otherwise leave theirs in a scratch folder)
.PHONY: screenshots
screenshots: install
	$(BIN)/python -m tests.browser.screenshots
	WANGGE_SHOTS=docs/screenshots $(BIN)/pytest -q -p no:randomly -m browser tests/browser

## openapi: rewrite the committed OpenAPI snapshot after an intended API change
openapi: install
	$(WANGGE) export_openapi > tests/snapshots/openapi.json

## bench: the benchmark suite; writes bench/results.json and bench/REPORT.md
## (locate, import, intake, pages, fieldwork on SQLite; import, intake, rates, reads, fieldwork on
## PostgreSQL if it answers)
bench: install
	$(BIN)/python bench/run.py --only locate import intake pages fieldwork
	@if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then \
		$(BIN)/python bench/run.py --only import intake rates reads fieldwork --postgres; \
	else echo "bench: no PostgreSQL on 127.0.0.1:5432; its figures were not measured"; fi

bench-quick: install
	$(BIN)/python bench/run.py --quick --only locate import intake rates pages fieldwork

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache
