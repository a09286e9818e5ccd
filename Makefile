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

.PHONY: install system-deps run load build publish report notices docs test lint pytest bench clean

# Debian packages the PDFs need: Pango for WeasyPrint (in the base image, checked anyway) and a
# font that covers Chinese for the Declarations of Compliance. Installed only when missing, with
# apt-get as root (CI runs as root on a fresh machine); elsewhere it says what to install.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk
REPORT_PERIOD ?= busiest

system-deps:
	@if ldconfig -p | grep -q "libpangoft2-1.0.so.0" && ldconfig -p | grep -q "libharfbuzz-subset.so.0" && fc-list :lang=zh-cn family 2>/dev/null | grep -q .; then \
	  exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(SYSTEM_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	else \
	  echo "missing system packages: install $(SYSTEM_PACKAGES) (Debian/Ubuntu) for the PDF report and notices" >&2; exit 1; \
	fi

$(BIN)/.installed: pyproject.toml | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/ree run $(SAMPLE) $(if $(VARS),--vars "$(VARS)")

load: install
	$(BIN)/ree load $(SAMPLE)

build: install
	$(BIN)/ree build $(if $(VARS),--vars "$(VARS)")

publish: install
	$(BIN)/ree publish

report: install
	$(BIN)/ree report --period $(REPORT_PERIOD) --compare-previous

notices: install
	$(BIN)/ree notices

# dbt's documentation site (catalog + manifest) into the warehouse's dbt_target
docs: install
	$(BIN)/dbt docs generate --project-dir $(CURDIR) --target-path $(DBT_TARGET_PATH)

lint: install
	mkdir -p $(REE_WAREHOUSE_DIR)  # the dbt templater opens the DuckDB file
	# macros/ is not listed: the dbt templater can only lint compiled nodes (macros are tested by
	# the models and unit tests that use them)
	$(BIN)/sqlfluff lint models tests/dbt analyses snapshots --processes 2
	$(BIN)/ruff check scripts tests benchmarks models
	$(BIN)/ruff format --check scripts tests benchmarks models

pytest: install
	$(BIN)/python -m pytest

test: lint pytest

# Issue 12's scale benchmark: floor, load, build, no-op build, daily increment, peak RSS, goals.
# BENCH_LINES="1000000 10000000" prints both sizes side by side.
BENCH_LINES ?= 1000000
bench: install
	$(BIN)/python benchmarks/bench_scale.py $(foreach n,$(BENCH_LINES),--lines $(n))
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_sample.py

clean:
	rm -rf $(REE_WAREHOUSE_DIR)
