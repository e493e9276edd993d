#!/usr/bin/env bash
# Regenerates docs/ui/*.png: each main screen of each role, in Chinese and English, at
# 1366x768, from a fresh demo served by the current build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
vbp_ensure_postgres postgres
source scripts/ui-server.sh
vbp_ensure_chromium
vbp_ensure_cjk_fonts
cargo build --bin vbp --quiet
bash scripts/ui.sh
vbp_ui_server_start
rm -f docs/ui/*.png
node admin-ui/e2e/screenshots.mjs docs/ui
