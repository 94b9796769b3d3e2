# DiagnoPet — the two commands a newcomer needs:
#   make run    venv + install + migrate + demo data + server on http://127.0.0.1:8000 (SQLite unless DATABASE_URL)
#   make test   the test suite against PostgreSQL (DATABASE_URL, default: local postgres)
# Production: make serve (migrate, collectstatic, gunicorn), make worker, make beat; see README "Deployment".
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/diagnopet
PORT ?= 8000

.PHONY: install run test lint format check client-check clean worker beat stress serve scale-check backup restore verify-backup

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 0.0.0.0:$(PORT)

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-not-for-production-use} \
		DEBUG=0 $(PY) -m pytest --create-db $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install
	DEBUG=1 $(PY) manage.py check
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

# The customer app's view of the API: TypeScript types generated from the schema with openapi-typescript, and a small
# program using them (clients/typescript/src/usage.ts) type-checked with tsc, so a schema change that would break a
# client (a field renamed or removed, money no longer a string, a status dropped) fails here. Needs Node.js 20+ and npm.
client-check: install
	mkdir -p clients/typescript/generated
	DEBUG=1 $(PY) manage.py spectacular --format openapi-json --file clients/typescript/generated/openapi.json
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check
	@echo "client-check: the generated types and clients/typescript/src/usage.ts type-check"

# Production web server: production settings (DEBUG off; SECRET_KEY, ALLOWED_HOSTS... from the environment or
# .env), migrations, static files for whitenoise, then gunicorn with gunicorn.conf.py (PORT/BIND, WEB_CONCURRENCY).
serve: install
	DEBUG=0 $(PY) manage.py migrate --noinput
	DEBUG=0 $(PY) manage.py setup_roles
	DEBUG=0 $(PY) manage.py collectstatic --noinput -v 0
	DEBUG=0 exec $(VENV)/bin/gunicorn diagnopet.wsgi

# Two gunicorn instances on one PostgreSQL and one Redis: a booking, a one-use coupon and a full slot seen from both.
scale-check: install
	$(PY) scripts/scale_out_check

# Backups (README "Backup and restore"): pg_dump of DATABASE_URL + tar of MEDIA_ROOT + manifest.json into
# backups/<UTC timestamp>/, failing if a file the database names is missing; verify one in a scratch database and
# folder with verify-backup; restore one with BACKUP=dir (FORCE=1 to replace a non-empty database, dumped first).
backup:
	scripts/backup

verify-backup:
	@test -n "$(BACKUP)" || { echo "usage: make verify-backup BACKUP=backups/<timestamp>"; exit 2; }
	scripts/verify_backup "$(BACKUP)"

restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/<timestamp> [FORCE=1]"; exit 2; }
	scripts/restore $(if $(filter 1,$(FORCE)),--force) "$(BACKUP)"

# Full-strength reliability run: fuzz at 200 examples per operation, concurrency ×3, faults, a soak
# (SOAK_SECONDS, default 600). Prints one summary; exits non-zero on any failure.
stress: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-not-for-production-use} \
		DEBUG=0 stress/run

# Celery (set CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0; without it tasks run in-process).
worker: install
	$(VENV)/bin/celery -A diagnopet worker --loglevel=INFO --concurrency=$${CELERY_CONCURRENCY:-2}

beat: install
	$(VENV)/bin/celery -A diagnopet beat --loglevel=INFO --schedule=$${CELERY_BEAT_FILE:-/tmp/diagnopet-celerybeat}

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache clients/typescript/node_modules clients/typescript/generated
