#!/usr/bin/env bash
# The Simplified Chinese catalogue (zh-hans is the default language; msgids are English).
#   scripts/i18n.sh            extract the marked strings into src/dudao/locale/zh_Hans/LC_MESSAGES/django.po
#                              (new strings arrive untranslated; translate them, leave no fuzzy entry)
#   scripts/i18n.sh compile    compile the catalogues into .mo files (build products, ignored by git)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
# The dudao command loads the settings, which create DUDAO_HOME (default ./var): keep that out of src/dudao.
if [ -z "${DUDAO_HOME:-}" ]; then
  DUDAO_HOME=$(mktemp -d)
  trap 'rm -rf "$DUDAO_HOME"' EXIT
fi
export DUDAO_HOME
dudao="$repo/.venv/bin/dudao"
cd src/dudao
case "${1:-extract}" in
  extract)
    mkdir -p locale
    "$dudao" makemessages -l zh_Hans --no-location --no-obsolete -i "static/*"
    ;;
  compile)
    "$dudao" compilemessages
    ;;
  *)
    echo "usage: scripts/i18n.sh [compile]" >&2
    exit 2
    ;;
esac
