# hubsignal: every target creates .venv and installs the pinned dependencies when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install whenever the dependency pins change.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export HF_HUB_DISABLE_TELEMETRY ?= 1

.PHONY: venv demo test check dev run backfill sql bench status report clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

demo: venv $(DAGSTER_HOME)/dagster.yaml  ## offline: build the synthetic sample archive, backfill it in one run, print the results
	$(BIN)/hubsignal demo

test: venv  ## the whole test suite
	$(BIN)/python -m pytest -q

check: venv  ## ruff (lint and format check) and Dagster's definitions validation
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	env -u DAGSTER_HOME $(BIN)/dagster definitions validate -w workspace.yaml

# The instance every Dagster command here uses (the CLI also creates it when missing): telemetry off, the duckdb pool.
# Re-copied whenever the repo's dagster.yaml is newer than the copy (make compares their times).
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p "$(DAGSTER_HOME)"
	@cp dagster.yaml "$@.tmp" && mv "$@.tmp" "$@"

# demo, run and backfill print a progress line and a summary; VERBOSE=1 (e.g. `make backfill VERBOSE=1 ...`) also
# shows Dagster's event log live. The full log always goes to $HUBSIGNAL_HOME/logs/ (and the UI).
dev: venv $(DAGSTER_HOME)/dagster.yaml  ## Dagster UI + daemon on http://127.0.0.1:3000
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

run: venv $(DAGSTER_HOME)/dagster.yaml  ## snapshot the most recent closed window from the live sources
	$(BIN)/hubsignal run

backfill: venv $(DAGSTER_HOME)/dagster.yaml  ## make backfill FROM=2026-10-01-03:00 TO=2026-10-28-21:00
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=<window key> TO=<window key>"; exit 2; }
	$(BIN)/hubsignal backfill "$(FROM)" "$(TO)"

status: venv  ## windows per source and status
	$(BIN)/hubsignal status

report: venv  ## the insights page's path; make report SERVE=1 serves it on http://127.0.0.1:8765/
	$(BIN)/hubsignal report $(if $(SERVE),--serve)

sql: venv  ## DuckDB CLI, read-only: the copy published after each run (a DuckLake: attached read-only)
	$(BIN)/hubsignal sql

bench: venv  ## every benchmark script, one line per figure
	@for f in benchmarks/*.py; do [ -e "$$f" ] || continue; $(BIN)/python "$$f" || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
