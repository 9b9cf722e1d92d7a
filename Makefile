# Labelyard's two commands: `make run` serves the app with a Celery worker; `make test` runs the suite.
PYTHON ?= python3
NODE ?= node
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-js lint format install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs only when the pinned requirements changed since the last install.
$(VENV)/.stamp-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The unmodified datagym 0.7.2 client is installed without its own pins, which cannot install
# on Python 3.11 (docs/datagym-v1.md section 9); what it needs at run time is pinned in
# requirements-dev.txt.
$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps datagym==0.7.2
	touch $@

install: $(VENV)/.stamp-run
install-dev: $(VENV)/.stamp-dev

# The demo may add images by URL from servers on this machine (LABELYARD_URL_FETCH_ALLOW_PRIVATE,
# off everywhere else); set it to 0 to try the address rules.
run: export LABELYARD_URL_FETCH_ALLOW_PRIVATE ?= 1
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@echo "Labelyard on http://$(HOST):$(PORT)/ (Ctrl-C stops the server and the worker)"
	$(BIN)/python -m labelyard.serve $(HOST):$(PORT)

# The workspace's ES modules are tested by Node's own runner (tests/js/); no npm packages are needed.
# The shell expands the file list: Node 22 and later take a bare directory for a test file and fail.
JS_TESTS = tests/js/*.test.mjs

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(NODE) --test $(JS_TESTS)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-js:
	$(NODE) --test $(JS_TESTS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
