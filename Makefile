# The two commands of the README are `make acceptance` and `make check`; the rest are parts.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BEHAVE_ARGS ?=
REPORTS := reports

.PHONY: help setup acceptance check lint typecheck unit up down status bench clean

help:
	@echo "make acceptance   install, bring the native stack up, run every gate, show where results are"
	@echo "make check        ruff, mypy, pytest and the gates against the native stack (what CI runs)"
	@echo "make up|status|down   drive the stack by hand (data is kept; 'down' never deletes it)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

up: setup
	$(BIN)/temporal-acceptance up

status: setup
	$(BIN)/temporal-acceptance status

down: setup
	$(BIN)/temporal-acceptance down

acceptance: setup
	$(BIN)/temporal-acceptance up
	@rm -rf $(REPORTS)/junit
	$(BIN)/behave $(BEHAVE_ARGS)

bench: setup
	$(BIN)/temporal-acceptance bench

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

# Runs every stage even when one fails, then prints one summary line over all of them.
# The stack goes up before pytest so binaries are built (with progress) outside pytest.
check: setup
	@rm -rf $(REPORTS)/junit; mkdir -p $(REPORTS)/junit; \
	$(BIN)/ruff check . && $(BIN)/ruff format --check .; ruff=$$?; \
	$(BIN)/mypy; mypy=$$?; \
	$(BIN)/temporal-acceptance up; up=$$?; \
	$(BIN)/pytest --junitxml=$(REPORTS)/junit/pytest.xml --cov --cov-fail-under=0 --cov-report=xml:$(REPORTS)/coverage.xml; \
	$(BIN)/coverage report | tail -1; $(BIN)/coverage report >/dev/null; coverage=$$?; \
	if [ $$up -eq 0 ]; then $(BIN)/behave $(BEHAVE_ARGS); fi; \
	$(BIN)/python -m temporal_acceptance.summary $(REPORTS)/junit --gate ruff=$$ruff --gate mypy=$$mypy --gate coverage-80=$$coverage --gate stack-up=$$up

clean:
	rm -rf $(REPORTS) .pytest_cache .mypy_cache .ruff_cache .coverage
