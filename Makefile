# Two commands for a fresh machine with Python >= 3.11:
#   make run    install into .venv, upgrade the embedded SQLite database, start the service
#   make test   install into .venv and run every test (SQLite, PostgreSQL, Redis, git, SMTP, browser)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
COV_FLOOR ?= 85
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck coverage bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@# Byte-compile our sources as a regular install does (PYTHONDONTWRITEBYTECODE may be set).
	$(PY) -m compileall -q src
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/deeptracy serve

test: install
	$(PY) -m coverage erase
	$(PY) -m pytest --cov --cov-report=term --cov-fail-under=$(COV_FLOOR) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

typecheck: install
	$(VENV)/bin/mypy

coverage: install
	$(PY) -m coverage erase
	$(PY) -m pytest --cov --cov-report=html --cov-report=term $(PYTEST_ARGS)
	@echo "HTML report: htmlcov/index.html"

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache htmlcov .coverage .coverage.* dist build test-artifacts
