# The two commands a newcomer needs: `make run` (build the demo company) and `make test`.
# Both bootstrap .venv from requirements.lock (exact pins) the first time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LANDING ?= var/landing
HOME_DIR ?= var

CHROMIUM := /usr/bin/chromium

.PHONY: run test dev lock clean chromium

$(STAMP): requirements.lock requirements-compat.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
		--target $(VENV)/compat/duckdb-1.4 -r requirements-compat.txt
	touch $@

run: $(STAMP)
	test -d $(LANDING) || $(BIN)/salesops generate --out $(LANDING)
	$(BIN)/salesops build --landing $(LANDING) --home $(HOME_DIR)

# The suite in two halves side by side (2 cores), each with its own session builds: half A
# builds the generated 200-rep company and runs what reads it (plus the failure-message, dbt
# unit-test and BI-access tests, which share the hand-made build, to even the halves out); half
# B, everything
# else, builds the hand-made landing and runs its fault cases. (The dbt manifest is parsed once
# first.) Each half's output is shown when both are done; then the serial tests alone (they
# time how fast processes stop).
TESTS_HALF_A := tests/test_end_to_end.py tests/test_marts_sales.py tests/test_marts_people.py \
	tests/test_marts_forecast.py tests/test_marts_finance.py tests/test_simco.py tests/test_ingest.py \
	tests/test_gx_suites.py tests/test_definitions.py tests/test_failure_messages.py \
	tests/test_dbt_unit_tests.py tests/test_dashboard.py tests/test_bi_access.py
TEST_LOGS := var/test-logs

# The dashboard tests drive Debian's chromium with Playwright (never `playwright install`):
# installed with apt when missing and running as root (CI); otherwise the command is printed
# and those tests fail, saying so.
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else \
	    echo "the dashboard tests need Debian's chromium at $(CHROMIUM): sudo apt-get install chromium"; \
	  fi; }

test: $(STAMP) chromium
	mkdir -p $(TEST_LOGS)
	$(BIN)/python -c "from orchestration.transform.project import prepare_manifest; prepare_manifest()"
	$(BIN)/python -m pytest -m "not serial" --durations=8 --basetemp=$(TEST_LOGS)/tmp-a $(TESTS_HALF_A) \
		> $(TEST_LOGS)/half-a.log 2>&1 & a=$$!; \
	$(BIN)/python -m pytest -m "not serial" --durations=8 --basetemp=$(TEST_LOGS)/tmp-b \
		$(filter-out $(TESTS_HALF_A),$(wildcard tests/test_*.py)) > $(TEST_LOGS)/half-b.log 2>&1 & b=$$!; \
	wait $$a; ra=$$?; wait $$b; rb=$$?; \
	cat $(TEST_LOGS)/half-a.log $(TEST_LOGS)/half-b.log; \
	test $$ra -eq 0 && test $$rb -eq 0
	$(BIN)/python -m pytest -m serial

dev: $(STAMP)
	$(BIN)/salesops dev --home $(HOME_DIR)

# Re-pin after changing pyproject.toml's dependencies.
lock:
	rm -rf /tmp/salesops-lock && $(PYTHON) -m venv /tmp/salesops-lock
	/tmp/salesops-lock/bin/pip install --quiet -e '.[dev]' setuptools==80.9.0
	{ echo "# Exact pins of the whole environment (pip freeze of a fresh install of pyproject.toml)."; \
	  echo "# Regenerate with: make lock"; \
	  /tmp/salesops-lock/bin/pip freeze --all --exclude-editable | grep -v '^pip=='; } > requirements.lock

clean:
	rm -rf $(VENV) var dbt_project/target dbt_project/logs
