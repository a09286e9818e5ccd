# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run    venv + install, load the embedded sample, dbt build, print what was decided
#   make test   lint + the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE ?= data/sample

export REE_WAREHOUSE_DIR ?= $(CURDIR)/warehouse
export DBT_PROFILES_DIR ?= $(CURDIR)
export DBT_TARGET_PATH ?= $(REE_WAREHOUSE_DIR)/dbt_target
export DBT_LOG_PATH ?= $(REE_WAREHOUSE_DIR)/dbt_logs

.PHONY: install run load build test lint pytest bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/ree run $(SAMPLE)

load: install
	$(BIN)/ree load $(SAMPLE)

build: install
	$(BIN)/ree build

lint: install
	mkdir -p $(REE_WAREHOUSE_DIR)  # the dbt templater opens the DuckDB file
	$(BIN)/sqlfluff lint models macros tests/dbt analyses snapshots --processes 2

pytest: install
	$(BIN)/python -m pytest

test: lint pytest

bench: install
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_sample.py

clean:
	rm -rf $(REE_WAREHOUSE_DIR)
