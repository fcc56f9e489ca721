# SmartFactory: `make demo` runs the platform, `make test` runs the tests.
# Both set up what they need (a .venv, and Debian packages when run as root) and are idempotent.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint system-deps venv clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "SmartFactory needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	@scripts/system-deps.sh

demo: venv system-deps
	$(BIN)/smartfactory demo

test: venv system-deps
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python benchmarks/run.py

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache demo
