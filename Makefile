# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest services bench clean

demo: $(VENV)/.installed
	$(BIN)/nurture demo

test: $(VENV)/.installed-test services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# The virtualenv is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# PostgreSQL, Redis and Chromium (browser tests): started, or installed, when missing.
services:
	.ci/ensure-services

bench: $(VENV)/.installed-test services
	@echo "see the Benchmarks section of README.md: each benchmark prints its figures"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache outbox instance nurture.db*
