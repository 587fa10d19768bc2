# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: run test conformance-server conformance-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml setup.cfg | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.cfg | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The real app plus the fixture tools/resources/prompts the conformance suite names.
conformance-server: $(VENV)/.installed-test
	BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py tests.conformance.wsgi:app

# Node 22 and @modelcontextprotocol/conformance into .tools/ (used by the conformance test).
conformance-tools:
	bash .ci/install-tools

clean:
	rm -rf $(VENV) .tools .pytest_cache
