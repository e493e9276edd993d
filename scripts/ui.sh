#!/usr/bin/env bash
# Builds the web UI into admin-ui/dist (served by `vbp serve` at /): installs its npm packages
# (npm ci, from package-lock.json), regenerates the typed API client from the server's own
# OpenAPI document (`vbp openapi`), so a changed API breaks this build, type-checks, bundles.
#
#   VBP_BIN=path/to/vbp   the binary whose document to use (default: target/debug/vbp, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "vbp: Node.js 20.19+ and npm are needed to build the UI (apt-get install nodejs npm)" >&2; exit 1; }
bin="${VBP_BIN:-target/debug/vbp}"
[ -x "$bin" ] || cargo build --bin vbp --quiet
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
cd admin-ui
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci (admin-ui)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
"$bin" openapi > openapi.json
npm run --silent gen >/dev/null
echo "== building the UI (tsc, vite)" >&2
npm run --silent build -- --logLevel warn
