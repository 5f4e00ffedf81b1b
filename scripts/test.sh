#!/usr/bin/env bash
# README command 2: install everything and run the whole suite: lint, type checks, then the tests on SQLite
# and again on PostgreSQL (started here if it is not running). Extra arguments go to pytest.
# Each half runs on DUDAO_TEST_WORKERS pytest-xdist workers (default: one per core; 0 runs in one process).
# Each stage's time is printed at the end (docs/decisions/0008-test-suite.md).
set -euo pipefail
cd "$(dirname "$0")/.."

stages=()
stage() {  # stage NAME COMMAND...: run it, remember how long it took
  local name=$1 start=$SECONDS
  shift
  echo "== $name" >&2
  "$@"
  stages+=("$(printf '%-12s %4d s' "$name" $((SECONDS - start)))")
}
report() {
  [ ${#stages[@]} -eq 0 ] && return
  echo "== stage times (total ${SECONDS} s)" >&2
  printf '   %s\n' "${stages[@]}" >&2
}
export DUDAO_HOME="$(mktemp -d)"
trap 'report; rm -rf "$DUDAO_HOME"' EXIT

# PostgreSQL: start the local cluster if needed and make sure a test role exists (works with trust or
# password authentication).
postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if ! psql "postgres://dudao_test:dudao_test@127.0.0.1:5432/postgres" -Atc 'select 1' >/dev/null 2>&1; then
    runuser -u postgres -- psql -q -c "CREATE ROLE dudao_test LOGIN SUPERUSER PASSWORD 'dudao_test'" >&2 \
      || runuser -u postgres -- psql -q -c "ALTER ROLE dudao_test LOGIN SUPERUSER PASSWORD 'dudao_test'" >&2
  fi
}

stage setup scripts/setup.sh --dev
stage ruff .venv/bin/ruff check src tests bench
stage mypy .venv/bin/mypy
stage postgres-up postgres
pg_url="${DUDAO_TEST_DATABASE_URL:-postgres://dudao_test:dudao_test@127.0.0.1:5432/postgres}"

workers=(-n "${DUDAO_TEST_WORKERS:-$(nproc)}")
stage SQLite env -u DATABASE_URL .venv/bin/pytest -p no:cacheprovider "${workers[@]}" "$@"
stage PostgreSQL env DATABASE_URL="$pg_url" .venv/bin/pytest -p no:cacheprovider "${workers[@]}" "$@"
