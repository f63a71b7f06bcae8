#!/usr/bin/env bash
# Build web/vendor/plotly-bianjian.min.js: plotly.js with only the trace types the app draws, served in place of
# plotly.py's full bundle (web/plotly_bundle.py; docs/pages.md § Performance). Run it again when plotly (PyPI)
# is upgraded or a page starts using another trace type: tests/test_plotly_bundle.py fails until then.
# Needs node and npm (the npm registry); nothing is fetched when the app runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# The trace types of every figure in pages/ and ui/ (scatter is always in plotly.js's core).
TRACES="bar funnel choropleth scattergeo"
VERSION="$(.venv/bin/python -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')"
ESBUILD_VERSION="0.28.2"
OUT="$PWD/web/vendor/plotly-bianjian.min.js"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
echo '{"name": "bianjian-plotly-bundle", "version": "1.0.0", "private": true}' > package.json
echo "plotly.js $VERSION and esbuild $ESBUILD_VERSION from the npm registry" >&2
npm install --no-audit --no-fund --silent "plotly.js@$VERSION" "esbuild@$ESBUILD_VERSION"
{
  echo "var Plotly = require('plotly.js/lib/core');"
  echo "Plotly.register(["
  for trace in $TRACES; do echo "  require('plotly.js/lib/$trace'),"; done
  echo "]);"
  echo "module.exports = Plotly;"
} > entry.js
# As plotly.js's own dist build (esbuild-config.js): an IIFE that sets window.Plotly. The map stylesheet
# plotly.js imports is only for tile maps (not registered here), so .css loads as nothing.
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --loader:.css=empty --legal-comments=eof \
  --log-level=warning --outfile=bundle.js
# plotly.js's default topojsonURL is its CDN. Every geo graph of ours sets assets/geo/ itself (ui/filters.py,
# pages/wall.py); the default is pointed there too, so a graph that forgot would ask this server, not the internet.
CDN_DEFAULT='dflt:"https://cdn.plot.ly/un/"'
[ "$(grep -o "$CDN_DEFAULT" bundle.js | wc -l)" = 1 ] || { echo "plotly.js topojsonURL default not found once" >&2; exit 1; }
sed -i 's|dflt:"https://cdn.plot.ly/un/"|dflt:"/assets/geo/"|' bundle.js
{
  echo "/* plotly.js v$VERSION (MIT, Copyright 2012-2026 Plotly, Inc.): core + $TRACES."
  echo "   Built by scripts/build_plotly_bundle.sh with esbuild $ESBUILD_VERSION; do not edit. */"
  cat bundle.js
} > "$OUT"
echo "wrote $OUT ($(wc -c < "$OUT") bytes)" >&2
