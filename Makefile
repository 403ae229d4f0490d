# RSOITS — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# Local demo defaults; every one of them is overridden by the environment in production.
export DEBUG ?= 1

.PHONY: run test install install-dev browser lint migrations-check worker beat web bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Start the application with demo data on the embedded SQLite default.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## Headless Chromium for the browser tests (Debian's package; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: install Debian's 'chromium' package for the browser tests" >&2; fi; }

## Run the whole test suite (SQLite by default; DATABASE_URL/REDIS_URL switch to PostgreSQL + Redis).
test: install-dev browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

web: install
	$(VENV)/bin/gunicorn rsoits.wsgi --bind 127.0.0.1:$(PORT) --workers 3
worker: install  # prefork pool of CELERY_WORKER_CONCURRENCY processes (default: twice the cores)
	$(VENV)/bin/celery -A rsoits worker -l info
beat: install
	$(VENV)/bin/celery -A rsoits beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
