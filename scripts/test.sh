#!/usr/bin/env bash
# README command 2: install everything and run the whole suite: lint, type checks, then the tests on SQLite
# and again on PostgreSQL (started here if it is not running). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export DUDAO_HOME="$(mktemp -d)"
trap 'rm -rf "$DUDAO_HOME"' EXIT

echo "== ruff" >&2
.venv/bin/ruff check src tests bench
echo "== mypy" >&2
.venv/bin/mypy

# PostgreSQL: start the local cluster if needed and make sure a test role exists (works with trust or
# password authentication).
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql "postgres://dudao_test:dudao_test@127.0.0.1:5432/postgres" -Atc 'select 1' >/dev/null 2>&1; then
  runuser -u postgres -- psql -q -c "CREATE ROLE dudao_test LOGIN SUPERUSER PASSWORD 'dudao_test'" >&2 \
    || runuser -u postgres -- psql -q -c "ALTER ROLE dudao_test LOGIN SUPERUSER PASSWORD 'dudao_test'" >&2
fi
pg_url="${DUDAO_TEST_DATABASE_URL:-postgres://dudao_test:dudao_test@127.0.0.1:5432/postgres}"

echo "== tests on SQLite" >&2
env -u DATABASE_URL .venv/bin/pytest -p no:cacheprovider "$@"
echo "== tests on PostgreSQL" >&2
DATABASE_URL="$pg_url" .venv/bin/pytest -p no:cacheprovider "$@"
