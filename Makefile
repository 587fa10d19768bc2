# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
# Installs come from the hash-pinned lock files (Python 3.11, Linux); `make lock` regenerates them.
RUNTIME_LOCK := requirements/runtime.txt
TEST_LOCK := requirements/test.txt
# What bandit scans: the application code that ships (the tests and bench/ do not).
BANDIT_TARGETS := connector attio_demo wsgi.py gunicorn.conf.py
# `make lock` resolves against PyPI alone, whatever this machine's pip configuration adds (a local mirror,
# find-links): the lock must name files and hashes PyPI serves. LOCK_ENV= uses your pip configuration.
LOCK_ENV ?= env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null
PIP_COMPILE = $(LOCK_ENV) $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
	$(foreach p,$(UPGRADE_PACKAGE),--upgrade-package $(p))

.PHONY: run test bench bandit lock audit conformance-server conformance-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Exactly the locked versions (every file checked against its hash), then the project itself without
# dependencies: pip can neither pick a newer release nor one the lock does not name.
$(VENV)/.installed-run: $(RUNTIME_LOCK) pyproject.toml setup.cfg | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r $(RUNTIME_LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(TEST_LOCK) pyproject.toml setup.cfg | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r $(TEST_LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory bandit VENV=$(VENV)
	$(BIN)/python -m pytest

# Issue 12's benchmarks in one run (about 16 minutes on 2 cores, best on a quiet machine): the connector side by
# side with the official SDK server and the bare route, then the OAuth flow, the cache and the idle streams; each
# writes its section of docs/benchmarks.md (bench/README.md). BENCH_ARGS passes options, e.g. --rounds 1.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.peers.run $(BENCH_ARGS)

# Every finding fails, whatever its severity: each accepted one is a `# nosec BXXX` with its reason at the
# site (docs/security.md lists them).
bandit: $(VENV)/.installed-test
	$(BIN)/bandit -q -r $(BANDIT_TARGETS)
	@echo "bandit: no findings in $(BANDIT_TARGETS) ($$(grep -rE --include='*.py' '# nosec B[0-9]+' \
		$(BANDIT_TARGETS) | wc -l | tr -d ' ') explained # nosec exceptions)"

# Re-pin from pyproject.toml, keeping current pins where they still fit; UPGRADE=1 re-resolves everything,
# UPGRADE_PACKAGE=name raises one package. The test lock is constrained by the runtime lock, so both agree.
lock: $(VENV)/.installed-test
	$(PIP_COMPILE) -o $(RUNTIME_LOCK) pyproject.toml
	$(PIP_COMPILE) --extra test -c $(RUNTIME_LOCK) -o $(TEST_LOCK) pyproject.toml

# pip-audit over the lock files. Fails (exit 2) when the vulnerability database cannot be reached: no
# database is reachable from the project's own machines, so this runs in operators' CI (docs/security.md).
audit: $(VENV)/.installed-test
	$(BIN)/python .ci/audit.py $(if $(AUDIT_SERVICE),--service $(AUDIT_SERVICE)) $(RUNTIME_LOCK) $(TEST_LOCK)

# The real app plus the fixture tools/resources/prompts the conformance suite names.
conformance-server: $(VENV)/.installed-test
	BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py tests.conformance.wsgi:app

# Node 22 and @modelcontextprotocol/conformance into .tools/ (used by the conformance test).
conformance-tools:
	bash .ci/install-tools

clean:
	rm -rf $(VENV) .tools .pytest_cache
