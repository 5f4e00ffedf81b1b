#!/usr/bin/env bash
# Copy the front-end files Dudao serves from the npm packages into the package's static folder.
# The copies are build products (ignored by git); package-lock.json pins what they are.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/dudao/static/vendor
mkdir -p "$dest"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx.min.js"
cp node_modules/@picocss/pico/css/pico.min.css "$dest/pico.min.css"
cp node_modules/sortablejs/Sortable.min.js "$dest/Sortable.min.js"
