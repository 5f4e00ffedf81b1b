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
# Maps: Leaflet (canvas renderer) and its images; PMTiles archives (raster) and Protomaps vector basemaps.
mkdir -p "$dest/leaflet"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$dest/leaflet/"
cp -r node_modules/leaflet/dist/images "$dest/leaflet/"
cp node_modules/pmtiles/dist/pmtiles.js "$dest/pmtiles.js"
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js "$dest/protomaps-leaflet.js"
# Charts (the trend pages): Apache ECharts, the minified build with every chart type (the Sankey included).
cp node_modules/echarts/dist/echarts.min.js "$dest/echarts.min.js"
