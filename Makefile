# hardhull: `make demo` runs the main job, `make test` runs every test (set-up included).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck unit bench clean

setup: $(STAMP)
	@sh scripts/setup-host.sh

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $(STAMP)

demo: setup
	$(BIN)/python scripts/demo.py

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q tests/unit

test: setup lint typecheck
	CI=$${CI:-false} $(BIN)/pytest -q

bench: setup
	$(BIN)/python bench/sbom_vs_syft/run.py
	$(BIN)/python bench/db_build/run.py
	$(BIN)/python bench/scan/run.py
	$(BIN)/python bench/posture/run.py --count 10000
	$(BIN)/python bench/admission/run.py --rate 500 --duration 60 --policies bench/admission/policies
	$(BIN)/python bench/rules/run.py
	$(BIN)/python bench/sensor/run.py --sensor core

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build
