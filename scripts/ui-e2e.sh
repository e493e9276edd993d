#!/usr/bin/env bash
# The browser tests (admin-ui/e2e, node:test + playwright-core on Debian's Chromium): the built
# UI against a real `vbp serve` with the demo, on a fresh database each run.
#
#   scripts/ui-e2e.sh                      every test file
#   scripts/ui-e2e.sh admin-ui/e2e/x.test.mjs   some
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres postgres
source scripts/ui-server.sh
vbp_ensure_chromium
# the UI as it is now (test.sh builds it just before and says so)
[ -n "${VBP_UI_PREBUILT:-}" ] && [ -f admin-ui/dist/index.html ] || bash scripts/ui.sh
vbp_ui_server_start
echo "== browser tests against $VBP_E2E_BASE" >&2
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(admin-ui/e2e/*.test.mjs)
# one file at a time: the flows share the demo's states
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
