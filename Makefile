# The two commands of the README are `make acceptance` and `make check`; the rest are parts.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BEHAVE_ARGS ?=
# The gates of `make acceptance` and `make check` run on this many native stacks at once: the
# run's own and throw-away ones for the disruptive scenarios (`temporal-acceptance run
# --stacks`, docs/PERFORMANCE.md); 1 runs every scenario on the run's own stack. The compose
# and external targets are one deployment: there it is always 1.
STACKS ?= 3
REPORTS := reports

.PHONY: help setup acceptance check lint typecheck unit up down status bench bench-load load clean report report-screenshot images browser proofs

help:
	@echo "make acceptance   install, bring the native stack up, run every gate (on STACKS=3 stacks at once), show where results are"
	@echo "make check        ruff, mypy, pytest and the gates (with the load gate) against the native stack (what CI runs)"
	@echo "make load         the load gate alone: throughput, latency, CPU and memory (features/performance.feature)"
	@echo "make bench-load   the load on the native stack and on the Temporal dev server, side by side"
	@echo "make up|status|down   drive the stack by hand (data is kept; 'down' never deletes it)"
	@echo "make report       single-file HTML report + ISSUES.md from the last run (reports/allure-report/)"
	@echo "make images       build the compose target's images offline (then: TACC_TARGET=compose)"
	@echo "make check-profile  deployment/workflow/persistence on a TLS-only PostgreSQL in Asia/Kolkata"
	@echo "make multirole    one process per Temporal role, two history hosts: every non-UI feature and the multirole gates"
	@echo "make mutation     every seeded-defect mutant against its gates, and the clean stack (docs/MUTANTS.md)"
	@echo "make proofs       the external target on four deployments the suite did not create (slow)"
	@echo "make upgrade      the upgrade gates CI runs (the 1.30 → 1.31 hop, refusal, rollback, restore) on native and compose"
	@echo "make upgrade-full every hop 1.29 → 1.30 → 1.31 → 1.32 on one native deployment, and the rest"
	@echo "make full         every heavy tier: all of CI at full size, every mutant, every upgrade hop, the matrix"

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

# behave's console goes to reports/console.log too; the run's own secrets gate (environment.py)
# fails it on a leak, and scan-secrets then searches the console, the results and the logs.
acceptance: setup
	$(BIN)/temporal-acceptance up
	@rm -rf $(REPORTS)/junit; mkdir -p $(REPORTS)
	@set -o pipefail; status=0; $(BIN)/temporal-acceptance run --stacks $(STACKS) -- $(BEHAVE_ARGS) 2>&1 | tee $(REPORTS)/console.log || status=$$?; \
	$(BIN)/temporal-acceptance scan-secrets $(REPORTS) || status=1; exit $$status

bench: setup
	$(BIN)/temporal-acceptance bench

# The load gate alone (features/performance.feature) against the stack, brought up if needed.
load: setup
	$(BIN)/temporal-acceptance up
	$(BIN)/behave --tags=@load $(BEHAVE_ARGS) features/performance.feature

# The load gate's burst on the native stack and on the Temporal dev server, with the ratio
# (docs/PERFORMANCE.md). BENCH_LOAD_ARGS="--count 300 --concurrency 50 --rounds 3"
bench-load: setup
	$(BIN)/temporal-acceptance bench-load $(BENCH_LOAD_ARGS)

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

# The gates `make check` runs: the default set (pyproject.toml's default_tags) and the load gate
# (features/performance.feature, @load), in one run and one report; the load gate runs alone
# on the run's own stack once the others have ended (core/shares.py).
CHECK_TAGS ?= {config.tags} or @load

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
	report=1; secrets=1; run_gate=1; if [ $$up -eq 0 ]; then $(BIN)/temporal-acceptance run --stacks $(STACKS) -- --tags="$(CHECK_TAGS)" $(BEHAVE_ARGS) 2>&1 | tee $(REPORTS)/console.log; \
	  ! grep -q '^  LEAK ' $(REPORTS)/console.log; run_gate=$$?; \
	  $(BIN)/temporal-acceptance report; report=$$?; \
	  $(BIN)/temporal-acceptance scan-secrets $(REPORTS); secrets=$$?; fi; \
	$(BIN)/python -m temporal_acceptance.reporting.summary $(REPORTS)/junit --gate ruff=$$ruff --gate mypy=$$mypy --gate layers=$$layers --gate coverage-80=$$coverage --gate stack-up=$$up \
	  --gate report=$$report --gate secrets-gate-of-the-run=$$run_gate --gate no-password-in-output=$$secrets --save $(REPORTS)/tally-native.json

# ---- operator gates (issue 14): the deployment, workflow and persistence features on a second
# native stack with the PostgreSQL TLS profile and a non-UTC, non-whole-hour time zone for
# PostgreSQL and the suite itself. Own ports and a throw-away state directory; the cached
# binaries are reused. Its results go to reports/allure-results-profile (native's are kept).
# Below 32768: Linux hands out 32768–60999 as the local ports of outgoing connections, and a
# fixed listening port there can be taken by one at the moment a stack starts.
PROFILE_PORTS ?= TACC_POSTGRES_PORT=15532 TACC_TEMPORAL_PORT=31633 TACC_UI_PORT=18180
PROFILE_FEATURES ?= features/deployment.feature features/workflow_execution.feature features/persistence.feature
.PHONY: check-profile
check-profile: setup
	@state=$$(mktemp -d /var/tmp/tacc-profile.XXXXXX); chmod 755 $$state; \
	export $(PROFILE_PORTS) TACC_STATE_DIR=$$state TACC_POSTGRES_TLS=on TACC_POSTGRES_TIMEZONE=Asia/Kolkata TZ=Asia/Kolkata; \
	rm -rf $(REPORTS)/junit-profile; status=0; \
	$(BIN)/temporal-acceptance up && { \
	  [ -d $(REPORTS)/allure-results ] && mv $(REPORTS)/allure-results $(REPORTS)/allure-results-native; \
	  $(BIN)/behave --junit-directory $(REPORTS)/junit-profile $(PROFILE_FEATURES) || status=$$?; \
	  rm -rf $(REPORTS)/allure-results-profile; mv $(REPORTS)/allure-results $(REPORTS)/allure-results-profile; \
	  [ -d $(REPORTS)/allure-results-native ] && mv $(REPORTS)/allure-results-native $(REPORTS)/allure-results; \
	  $(BIN)/temporal-acceptance scan-secrets $(REPORTS)/allure-results-profile $(REPORTS)/junit-profile || status=1; \
	} || status=1; \
	$(BIN)/temporal-acceptance down --purge >/dev/null; rm -rf $$state; \
	$(BIN)/python -m temporal_acceptance.reporting.summary $(REPORTS)/junit-profile --gate profile=$$status --save $(REPORTS)/tally-profile.json; \
	exit $$status

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
.PHONY: matrix compat-report multirole

matrix: setup
	$(BIN)/temporal-acceptance matrix --jobs $(MATRIX_JOBS) -- $(MATRIX_ARGS)

compat-report: setup
	$(BIN)/temporal-acceptance compat report

# ---------------------------------------------------------------- topology=multirole (issue 16)
# `make multirole`: one temporal-server per role and two history hosts (native, its own
# state directory and ports: see .ci/multirole), every non-UI feature and the multirole
# feature on it (TACC_CI_TIER=full: any @open_finding scenario too), then the multirole figures (min/median/max
# over every run so far). Not in `check`.
.PHONY: multirole
multirole: setup
	bash .ci/multirole
# ---------------------------------------------------------------- mutation (the gates can fail)
# `make mutation`: each mutant of stack/mutants.py on a stack of its own, against its gates,
# and the clean stack against the same tags; the catch table goes to docs/MUTANTS.md and the
# exit status is 1 if any mutant survives. `make mutation-check`: the mutants whose gates run
# in `make check` (what CI runs). MUTATION_ARGS: e.g. --jobs 2, --ports 29033,57700,27500.
MUTATION_ARGS ?=
.PHONY: mutation mutation-check

mutation: setup
	$(BIN)/temporal-acceptance mutation $(MUTATION_ARGS)

mutation-check: setup
	$(BIN)/temporal-acceptance mutation --check-only $(MUTATION_ARGS)
# ---------------------------------------------------------------- external target (issue 13)
# The four proofs (tests/proofs): deployments from upstream's own files, compose by hand (needs
# a Docker engine and `make images`), the dev server on SQLite, TLS from a generated CA.
# Reports under reports/proofs/<proof>/. Not part of `check`: CI runs them in .ci/external.
.PHONY: proofs
proofs: setup
	$(BIN)/pytest -m proof tests/proofs -p no:cacheprovider
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

# ---------------------------------------------------------------- the heavy tiers
# `make full`: what CI (.ci/run) runs a representative part of, at full size — the operator
# profile with persistence, compose with its multirole topology, the multirole native stack
# with its @open_finding scenarios, every mutant of the catalogue (refreshing docs/MUTANTS.md), every
# upgrade hop on native and the CI hop on compose, the external proofs, and the PostgreSQL
# matrix. Hours, not minutes: run it before a release, not per change. Ends with the summary
# line over every tier that ran.
.PHONY: full
full: setup
	@status=0; \
	$(MAKE) --no-print-directory check || status=1; \
	$(MAKE) --no-print-directory check-profile || status=1; \
	TACC_CI_TIER=full bash .ci/compose || status=1; \
	TACC_CI_TIER=full bash .ci/multirole || status=1; \
	bash .ci/external || status=1; \
	$(MAKE) --no-print-directory mutation || status=1; \
	$(MAKE) --no-print-directory upgrade || status=1; \
	$(MAKE) --no-print-directory upgrade-full || status=1; \
	$(MAKE) --no-print-directory matrix || status=1; \
	exit $$status
