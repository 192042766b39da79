# The two commands a newcomer needs: `make run` (build the demo company) and `make test`.
# Both bootstrap .venv from requirements.lock (exact pins) the first time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LANDING ?= var/landing
HOME_DIR ?= var

.PHONY: run test dev lock clean

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

test: $(STAMP)
	$(BIN)/python -m pytest

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
