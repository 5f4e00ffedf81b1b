#!/usr/bin/env bash
# Install everything Dudao needs on a Debian machine; idempotent (a second run installs nothing new).
#   scripts/setup.sh          runtime: system packages, .venv with the locked Python packages, front-end files
#   scripts/setup.sh --dev    also what the tests need from the system: Chromium and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: only what is missing, with one `apt-get update` before the first install.
need=()
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v msgfmt >/dev/null || need+=(gettext)
command -v npm >/dev/null || need+=(npm)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
# WeasyPrint (the bulletin's PDF) lays text out with Pango and subsets fonts with HarfBuzz.
for lib in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
  dpkg -s "$lib" >/dev/null 2>&1 || need+=("$lib")
done
if [ "$dev" = 1 ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  command -v wrk >/dev/null || need+=(wrk)  # the load of bench/*_load.py (a Python client would cap what it measures)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# Python packages, exactly as locked (hashes checked).
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.dudao-lock-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >&2
  # One lock for runtime and test tools: the test tools are small and this keeps one source of truth.
  .venv/bin/python -m pip install -q --require-hashes -r requirements.lock >&2
  .venv/bin/python -m pip install -q --no-deps -e . >&2
  rm -f .venv/.dudao-lock-*
  touch "$stamp"
fi

# Front-end packages from the npm registry, served locally (no CDN at run time).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
scripts/vendor.sh

# Translations: compile the catalogues (the .mo files are build products).
(cd src/dudao && DUDAO_HOME="${DUDAO_HOME:-$(mktemp -d)}" ../../.venv/bin/dudao compilemessages -v 0)

# Dudao's own modules compiled once here (the installed packages were compiled by pip): each `dudao` process, web
# worker and test then reads them instead of compiling its sources again, also where PYTHONDONTWRITEBYTECODE is set.
.venv/bin/python -m compileall -q src/dudao >/dev/null
