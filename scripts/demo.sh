#!/usr/bin/env bash
# README command 1: install everything, load the Jingtai demo and serve it at http://127.0.0.1:8000
# (SQLite and files in $DUDAO_HOME, default ./var). Idempotent: run it again to restart the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DUDAO_HOME="${DUDAO_HOME:-$PWD/var}"
.venv/bin/dudao demo
.venv/bin/dudao collectstatic --noinput -v 0
echo "Dudao 督导 is serving the Jingtai demo at http://127.0.0.1:${DUDAO_PORT:-8000}/  (Ctrl-C stops it)" >&2
exec .venv/bin/gunicorn --no-control-socket --bind "127.0.0.1:${DUDAO_PORT:-8000}" --workers 3 --access-logfile - dudao.wsgi
