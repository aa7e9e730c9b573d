#!/usr/bin/env bash
# Runs the whole certfed test suite: lint, then every test on SQLite, then again on
# PostgreSQL. Installs what it needs (a virtualenv, Chromium for the browser tests) and
# starts PostgreSQL if it is installed but stopped. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${CERTFED_VENV:-.venv}
PG_URL=${CERTFED_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/certfed}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

echo "== python environment"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"

echo "== chromium (browser tests)"
if ! command -v chromium >/dev/null 2>&1; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

echo "== postgresql"
if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v psql >/dev/null 2>&1; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  for v in $(ls /etc/postgresql 2>/dev/null); do
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

echo "== ruff"
"$VENV/bin/ruff" check
"$VENV/bin/ruff" format --check

echo "== tests on SQLite"
CERTFED_DATABASE_URL= "$VENV/bin/python" -m pytest -q "$@"

echo "== tests on PostgreSQL"
CERTFED_DATABASE_URL="$PG_URL" "$VENV/bin/python" -m pytest -q "$@"
