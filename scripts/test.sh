#!/usr/bin/env bash
# README command 2: install everything and run the whole suite: lint, type checks, then the tests on SQLite
# with local files, and again on PostgreSQL (started here if it is not running) with media in S3 (a local moto
# server started here). Extra arguments go to pytest.
# The halves run at the same time, each in one process (DUDAO_TEST_WORKERS=N: N pytest-xdist workers each).
# Each stage's time is printed at the end (docs/decisions/0009-test-suite.md).
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

# The PostgreSQL half is the scale-out configuration: media in an S3-compatible bucket (moto's server on loopback,
# a dev dependency), so every test that stores a photo, a drone original, a bulletin or a backup goes through S3
# there (docs/operations.md). DUDAO_TEST_S3=0 runs it on local files instead.
s3_up() {
  local port
  port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$DUDAO_HOME/moto.log" 2>&1 &
  moto_pid=$!
  export S3_ENDPOINT="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -fsS -o /dev/null "$S3_ENDPOINT/moto-api/" 2>/dev/null && break; sleep 0.2; done
  .venv/bin/python scripts/s3-bucket.py "$S3_ENDPOINT" dudao-test
}
moto_pid=""
if [ "${DUDAO_TEST_S3:-1}" != 0 ]; then
  stage s3-up s3_up
fi

# The two halves run at the same time (each half's output is shown when it ends): while one builds its demo or
# waits on a subprocess, the other works, so both cores stay busy.
logs=$(mktemp -d)
trap 'report; [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null; rm -rf "$DUDAO_HOME" "$logs"' EXIT
half() {  # half NAME DATABASE_URL (empty for SQLite) PYTEST_ARGUMENTS...
  local name=$1 url=$2 start=$SECONDS rc=0
  shift 2
  if [ -n "$url" ] && [ -n "$moto_pid" ]; then
    DATABASE_URL=$url DUDAO_S3_BUCKET=dudao-test DUDAO_S3_ENDPOINT=$S3_ENDPOINT DUDAO_S3_ACCESS_KEY=test \
      DUDAO_S3_SECRET_KEY=test .venv/bin/pytest -p no:cacheprovider --durations=15 -n "$workers" "$@" >"$logs/$name" 2>&1 || rc=$?
  elif [ -n "$url" ]; then
    DATABASE_URL=$url .venv/bin/pytest -p no:cacheprovider --durations=15 -n "$workers" "$@" >"$logs/$name" 2>&1 || rc=$?
  else
    env -u DATABASE_URL .venv/bin/pytest -p no:cacheprovider --durations=15 -n "$workers" "$@" >"$logs/$name" 2>&1 || rc=$?
  fi
  { echo "== tests on $name"; cat "$logs/$name"; } >&2
  printf '%-12s %4d s\n' "$name" $((SECONDS - start)) >"$logs/$name.time"
  return $rc
}
workers=${DUDAO_TEST_WORKERS:-0}
echo "== tests on SQLite and on PostgreSQL, at the same time" >&2
start=$SECONDS
half SQLite "" "$@" &
sqlite=$!
# The PostgreSQL half's browser tests run the server as at scale: a separate `dudao worker` process does the
# background work (tests/browser/conftest.py). It runs the tests that reach the database; the others (pure
# functions, the command line on embedded homes of their own, the layer rule) run once, in the SQLite half
# (DUDAO_TEST_DATABASE_ONLY=0 runs them in both; docs/decisions/0009-test-suite.md).
DUDAO_TEST_SEPARATE_WORKER=${DUDAO_TEST_SEPARATE_WORKER:-1} DUDAO_TEST_DATABASE_ONLY=${DUDAO_TEST_DATABASE_ONLY:-1} \
  half PostgreSQL "$pg_url" "$@" &
postgresql=$!
failed=0
wait $sqlite || failed=1
wait $postgresql || failed=1
stages+=("$(cat "$logs/SQLite.time")" "$(cat "$logs/PostgreSQL.time")")
stages+=("$(printf '%-12s %4d s' "both halves" $((SECONDS - start)))")
exit $failed
