# Casework: `make run` starts the whole system; `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run dev prepare backup restore test install messages lint typecheck check smoke-embedded pytest bench clean

$(DEV_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(DEV_STAMP)

# Compiled catalogues are committed; this rebuilds them after editing a .po file.
messages: install
	cd casework && ../$(PY) ../manage.py compilemessages --settings=config.settings.test

# Everything both `make run` and `make dev` need before the processes start.
prepare: install
	$(PY) bin/make-dev-env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --once
	# One sweep before beat's first turn: the overview shows when it last ran, never a false alarm.
	$(PY) manage.py sweep_deadlines
	# With DEBUG off WhiteNoise serves the hashed copies collectstatic writes to var/static.
	$(PY) manage.py collectstatic --noinput --verbosity 0

# What a small group runs: gunicorn with DEBUG off, both workers and beat, on 127.0.0.1:8000.
run: prepare
	bin/serve

# For developers: the same, with Django's development server and DEBUG on.
dev: prepare
	bin/serve dev

# An age-encrypted archive of the database and the file store in var/backups/ (README, Backups);
# needs BACKUP_AGE_RECIPIENTS (a public key). Old archives past retention are deleted.
backup: install
	$(PY) manage.py backup

# Into an empty database and file store: make restore ARCHIVE=... IDENTITY=path/to/age-key.txt
restore: install
	$(PY) manage.py restore "$(ARCHIVE)" --identity "$(IDENTITY)"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# No high-severity finding allowed (the two medium B608 hits build SQL from model metadata).
	$(VENV)/bin/bandit -q -r casework config -lll

typecheck: install
	$(VENV)/bin/mypy casework config

check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

smoke-embedded: install
	$(PY) bin/smoke-embedded

# CI builds the test database afresh (a kept one could hold rows from an older seed); locally
# pytest keeps it between runs (--reuse-db in pyproject.toml) and migrates what is new.
# One test process per core (pytest-xdist); each has its own test database and Redis keys.
# axe-core for the browser tests' accessibility checks (tests/axe_support.py): the npm package
# pinned in tests/axe/package-lock.json, installed into tests/axe/node_modules (not committed).
AXE := tests/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/axe/package.json tests/axe/package-lock.json
	npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests save their screenshots in var/screenshots/ (CI keeps them as artifacts).
pytest: install $(AXE)
	$(VENV)/bin/pytest -n auto $(if $(CI),--create-db)

test: lint typecheck check smoke-embedded pytest

bench: install
	@echo "See docs/benchmarks.md for each benchmark's command."

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
