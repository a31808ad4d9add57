# The two commands of the README are `make acceptance` and `make check`; the rest are parts.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BEHAVE_ARGS ?=
REPORTS := reports

.PHONY: help setup acceptance check lint typecheck unit up down status bench clean report report-screenshot images browser

help:
	@echo "make acceptance   install, bring the native stack up, run every gate, show where results are"
	@echo "make check        ruff, mypy, pytest and the gates against the native stack (what CI runs)"
	@echo "make up|status|down   drive the stack by hand (data is kept; 'down' never deletes it)"
	@echo "make report       single-file HTML report + ISSUES.md from the last run (reports/allure-report/)"
	@echo "make images       build the compose target's images offline (then: TACC_TARGET=compose)"
	@echo "make upgrade      the upgrade gates CI runs (the 1.30 → 1.31 hop, refusal, rollback, restore) on native and compose"
	@echo "make upgrade-full every hop 1.29 → 1.30 → 1.31 → 1.32 on one native deployment, and the rest"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# ---- reporting: Allure 3 from npm (pinned in package-lock.json), no Java
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is missing — install Node.js 20 with npm (README: Requirements)"; exit 2; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

# ---- ui: Debian's chromium for the browser gates and the report screenshot. Playwright
# never downloads a browser (CI reaches only package registries); TACC_CHROMIUM=/path
# points at another Chromium and skips the install.
browser:
	@[ -n "$$TACC_CHROMIUM" ] || [ -x /usr/bin/chromium ] || command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the UI gates (apt-get)"; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  { $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium; } \
	  || { echo "error: could not install chromium — run: apt-get install chromium (or set TACC_CHROMIUM=/path/to/chromium)"; exit 2; }; }

setup: $(STAMP) $(NODE_STAMP) browser

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

# ---------------------------------------------------------------- compose target
# Local images with the official images' environment contract, built without a registry.
images: setup
	$(BIN)/temporal-acceptance images

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

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
	$(BIN)/lint-imports --no-cache; layers=$$?; \
	$(BIN)/temporal-acceptance up; up=$$?; \
	$(BIN)/pytest --junitxml=$(REPORTS)/junit/pytest.xml --cov --cov-fail-under=0 --cov-report=xml:$(REPORTS)/coverage.xml; \
	echo "package coverage: $$($(BIN)/coverage report --format=total)% (gate: 80%)"; $(BIN)/coverage report >/dev/null; coverage=$$?; \
	report=1; secrets=1; if [ $$up -eq 0 ]; then $(BIN)/behave $(BEHAVE_ARGS); \
	  $(BIN)/temporal-acceptance report; report=$$?; \
	  $(BIN)/temporal-acceptance scan-secrets $(REPORTS); secrets=$$?; fi; \
	$(BIN)/python -m temporal_acceptance.reporting.summary $(REPORTS)/junit --gate ruff=$$ruff --gate mypy=$$mypy --gate layers=$$layers --gate coverage-80=$$coverage --gate stack-up=$$up \
	  --gate report=$$report --gate no-password-in-output=$$secrets --save $(REPORTS)/tally-native.json

# ---- reporting
report: setup
	$(BIN)/temporal-acceptance report

# docs/report-screenshot.png from the last report (the UI gates' browser launcher, no download)
report-screenshot: report
	$(BIN)/python -m temporal_acceptance.reporting.screenshot

clean:
	rm -rf $(REPORTS) .pytest_cache .mypy_cache .ruff_cache .coverage

# ---------------------------------------------------------------- compatibility (Phase 6)
# `make matrix`: a fresh native stack per PostgreSQL major 12–18, MATRIX_JOBS behave
# processes at once (each on ports of its own), the schema gates and the test workflow on
# each, then docs/COMPATIBILITY.md regenerated from what they observed. Slow: not in `check`.
MATRIX_JOBS ?= 2
MATRIX_ARGS ?=
.PHONY: matrix compat-report

matrix: setup
	$(BIN)/temporal-acceptance matrix --jobs $(MATRIX_JOBS) -- $(MATRIX_ARGS)

compat-report: setup
	$(BIN)/temporal-acceptance compat report

# ---------------------------------------------------------------- upgrades (issue 15)
# The @upgrade gates (features/upgrade.feature) on deployments of their own, on the run's
# ports (TACC_*), never the shared stack (default_stack=off). `make upgrade` is CI's lean
# set — the 1.30.8 → 1.31.2 hop (both schemas change), a newer server refused on the old
# schema, a failed hop rolled back from its backup, a backup restored into a fresh
# deployment — on each of UPGRADE_TARGETS (compose needs a Docker engine: .ci/compose
# starts one; its local images for both releases are built first, cached).
# `make upgrade-full` adds the @slow hops: 1.29.2 → 1.30.8 → 1.31.2 → 1.32.2 on one native
# deployment. Each run prints the hops' timings and writes reports/upgrade/hops.json.
UPGRADE_TARGETS ?= native compose
UPGRADE_ARGS ?=
UPGRADE_FROM ?= 1.30.8
UPGRADE_TO ?= 1.31.2
.PHONY: upgrade upgrade-full upgrade-images

upgrade: setup
	@status=0; for target in $(UPGRADE_TARGETS); do \
	  echo "== upgrade gates on $$target"; \
	  if [ "$$target" = compose ]; then $(MAKE) --no-print-directory upgrade-images || { status=1; continue; }; fi; \
	  $(BIN)/behave --tags=@upgrade --tags="not @slow" -D default_stack=off -D target=$$target \
	    --junit-directory $(REPORTS)/junit-upgrade-$$target $(UPGRADE_ARGS) || status=1; \
	done; exit $$status

upgrade-full: setup
	$(BIN)/behave --tags=@upgrade -D default_stack=off --junit-directory $(REPORTS)/junit-upgrade-full $(UPGRADE_ARGS)

# The compose images of both releases of the CI hop (each with the UI that goes with it).
upgrade-images: setup
	TACC_TARGET=compose TACC_TEMPORAL_VERSION=$(UPGRADE_FROM) $(BIN)/temporal-acceptance images
	TACC_TARGET=compose TACC_TEMPORAL_VERSION=$(UPGRADE_TO) $(BIN)/temporal-acceptance images
