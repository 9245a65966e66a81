# The two commands of README.md, and the rest. Every target runs the bootstrap first (quick when done).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# pytest-xdist workers: most of a test's time is waiting (services starting, windows, browsers, I/O), so
# three workers keep CI's two cores busy. Each worker starts its own services on free ports.
# Tests go out two at a time (--maxschedchunk 2), slow modules first (tests/conftest.py). Not --dist
# loadgroup/loadscope: they key tests by node id and would run only one of schemathesis's 72 items that
# share one. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 3
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist load --maxschedchunk 2)

.PHONY: bootstrap demo test lint types pytest fast bench screenshots soak clean

bootstrap:
	@scripts/bootstrap.sh

demo: bootstrap
	$(BIN)/hall demo

## The whole check: lint, types, every test (unit and integration with real services).
test: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/pytest $(PYTEST_PARALLEL) --durations=15 $(PYTEST_ARGS)

lint: bootstrap
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

types: bootstrap
	$(BIN)/mypy .

## Only the tests not marked slow.
fast: bootstrap
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "not slow" --durations=15 $(PYTEST_ARGS)

## Every benchmark under bench/, each figure beside the anchor measured in the same run.
bench: bootstrap
	$(BIN)/python -m bench

## A compressed hall day (1,000 applicants, 20 windows, 4 kiosks, 48 lockers) with crashes injected.
soak: bootstrap
	$(BIN)/python -m soak --postgres $(SOAK_ARGS)

## Screenshots of every kiosk screen and web page, kept under docs/screenshots/.
screenshots: bootstrap
	HALL_TEST_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -m slow -k screenshot $(PYTEST_ARGS)

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache
